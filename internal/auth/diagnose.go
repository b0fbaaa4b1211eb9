package auth

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// MaxClockSkew is how far the local clock may drift from a server's before
// CheckClock reports it: tokens carry iat/nbf claims checked to a few minutes.
const MaxClockSkew = 2 * time.Minute

var aadRE = regexp.MustCompile(`AADSTS\d+`)

func aadCode(s string) string { return aadRE.FindString(s) }

// aadAdvice maps Microsoft Entra error codes to the fix
// (https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
var aadAdvice = map[string]struct {
	kind   error
	advice string
}{
	"AADSTS50020":   {ErrProviderConfig, "the account does not belong to the configured tenant: set tenant to \"common\" (work and personal accounts), \"consumers\" (outlook.com) or the account's own tenant, then run `mailmcp auth login %s`"},
	"AADSTS90002":   {ErrProviderConfig, "the configured Microsoft tenant does not exist: check the tenant (common, organizations, consumers or your tenant GUID/domain)"},
	"AADSTS65001":   {ErrNeedsLogin, "consent for the mail permissions is missing: run `mailmcp auth login %s` and accept; work accounts may need an administrator to grant consent to the app"},
	"AADSTS700016":  {ErrProviderConfig, "the app (client_id) was not found in the tenant: check client_id, and that the app registration allows accounts of this kind (multi-tenant for \"common\")"},
	"AADSTS7000215": {ErrProviderConfig, "the client secret is wrong or expired: create a new one in the app registration and update the config (public clients should have no secret)"},
	"AADSTS7000218": {ErrProviderConfig, "the app needs a client secret, or \"Allow public client flows\" must be enabled in its app registration for device-code login"},
	"AADSTS50076":   {ErrNeedsLogin, "multi-factor authentication is required: run `mailmcp auth login %s` interactively"},
	"AADSTS50079":   {ErrNeedsLogin, "multi-factor authentication enrolment is required: sign in once in a browser, then run `mailmcp auth login %s`"},
	"AADSTS50126":   {ErrNeedsLogin, "wrong user name or password: run `mailmcp auth login %s` again"},
	"AADSTS53003":   {ErrProviderConfig, "blocked by a conditional access policy: ask the tenant administrator to allow the app"},
	"AADSTS70000":   {ErrNeedsLogin, "the refresh token is invalid or was revoked: run `mailmcp auth login %s`"},
	"AADSTS70008":   {ErrNeedsLogin, "the refresh token expired: run `mailmcp auth login %s`"},
	"AADSTS700082":  {ErrNeedsLogin, "the refresh token expired after inactivity: run `mailmcp auth login %s`"},
	"AADSTS700024":  {ErrClockSkew, "this machine's clock is wrong: fix it (enable NTP, e.g. `timedatectl set-ntp true`) and retry"},
	"AADSTS70011":   {ErrProviderConfig, "the requested scope is invalid: use only https://outlook.office.com/IMAP.AccessAsUser.All, https://outlook.office.com/SMTP.Send and offline_access (never Graph scopes)"},
	"AADSTS500011":  {ErrProviderConfig, "the resource in the scope was not found in the tenant: use the outlook.office.com scopes and make sure Exchange Online is licensed"},
}

func aadKind(code string) error { return aadAdvice[code].kind }

var skewWords = []string{"not yet valid", "clock skew", "nbf", " iat", "issued in the future", "token used before issued"}

func isSkewText(s string) bool {
	l := strings.ToLower(s)
	for _, w := range skewWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// CheckClock compares the local time with a server's Date header value and
// returns a problem to show the user when they differ by more than
// MaxClockSkew, or "" when they agree or serverDate is zero.
func CheckClock(serverDate, now time.Time) string {
	if serverDate.IsZero() {
		return ""
	}
	d := now.Sub(serverDate)
	if d.Abs() <= MaxClockSkew {
		return ""
	}
	dir := "ahead of"
	if d < 0 {
		dir = "behind"
	}
	return fmt.Sprintf("this machine's clock is %s %s the server's: fix it (enable NTP, e.g. `timedatectl set-ntp true`), or tokens will be rejected", d.Abs().Round(time.Second), dir)
}

// Diagnosis is an error with the user's next step as its message. It wraps
// the original error and the sentinel it implies, so errors.Is matches both.
type Diagnosis struct {
	Kind    error // ErrNeedsLogin, ErrNeedsOAuth, …; nil when unknown
	Advice  string
	Cause   error
	Account string
}

func (d *Diagnosis) Error() string   { return d.Advice }
func (d *Diagnosis) Unwrap() []error { return []error{d.Kind, d.Cause} }

// Diagnose maps a raw authentication error for account at provider
// (ProviderGoogle, ProviderMicrosoft, ProviderGeneric or a host name such as
// "outlook.office365.com") to a *Diagnosis, or returns nil for nil err.
// Unrecognised errors get a Diagnosis with nil Kind and the error's own text.
func Diagnose(err error, provider, account string) *Diagnosis {
	if err == nil {
		return nil
	}
	d := &Diagnosis{Cause: err, Account: account}
	msg := err.Error()
	lower := strings.ToLower(msg)
	login := fmt.Sprintf("run `mailmcp auth login %s`", account)
	ms := isMicrosoft(provider)
	google := isGoogle(provider)

	var oe *OAuthError
	errors.As(err, &oe)

	if oe != nil {
		if p := CheckClock(oe.ServerDate, time.Now()); p != "" {
			d.Kind, d.Advice = ErrClockSkew, p
			return d
		}
	}
	if code := aadCode(msg); code != "" {
		if a, ok := aadAdvice[code]; ok {
			d.Kind = a.kind
			d.Advice = code + ": " + strings.ReplaceAll(a.advice, "%s", account)
			return d
		}
	}

	switch {
	case errors.Is(err, ErrClockSkew) || isSkewText(msg):
		d.Kind = ErrClockSkew
		d.Advice = "the server says the token is not valid yet or was issued in the future: this machine's clock is probably wrong; fix it (enable NTP) and retry"
	case strings.Contains(lower, "basic authentication is disabled") ||
		(ms && strings.Contains(lower, "authenticate failed")) ||
		(ms && strings.Contains(lower, "535 5.7.139")):
		d.Kind = ErrNeedsOAuth
		d.Advice = fmt.Sprintf("this account needs OAuth: Microsoft has disabled password (basic) authentication. Set auth = \"oauth\" with provider \"microsoft\" for %s and %s", account, login)
	case strings.Contains(lower, "application-specific password required") ||
		strings.Contains(lower, "534 5.7.9") || strings.Contains(lower, "web login required"):
		d.Kind = ErrAppPasswordRequired
		d.Advice = "the provider requires an app password for IMAP/SMTP: create one (Google: https://myaccount.google.com/apppasswords, needs 2-Step Verification) and configure it as the password, or switch the account to OAuth and " + login
	case errors.Is(err, ErrAccessDenied):
		d.Kind = ErrAccessDenied
		d.Advice = "the authorization request was declined; " + login + " again and approve access"
	case errors.Is(err, ErrDeviceCodeExpired):
		d.Kind = ErrDeviceCodeExpired
		d.Advice = "the sign-in code expired before it was used; " + login + " again and enter the code within its lifetime"
	case errors.Is(err, ErrStateMismatch):
		d.Kind = ErrStateMismatch
		d.Advice = "the pasted address does not belong to this login attempt; " + login + " again and paste the address the browser ends on"
	case (oe != nil && oe.Code == "invalid_grant") || strings.Contains(lower, "invalid_grant") || errors.Is(err, ErrNeedsLogin):
		d.Kind = ErrNeedsLogin
		d.Advice = "the saved login is no longer valid (refresh token expired or revoked): " + login
		if google {
			d.Advice += ". Google expires refresh tokens after 7 days while the OAuth app's publishing status is \"Testing\": set it to \"In production\" in Google Cloud console (OAuth consent screen) to stop this"
		}
	case errors.Is(err, ErrProviderConfig) || (oe != nil && (oe.Code == "invalid_client" || oe.Code == "unauthorized_client")):
		d.Kind = ErrProviderConfig
		d.Advice = "the OAuth client is misconfigured (client_id, client_secret or redirect settings rejected by the provider): check the account's oauth settings"
	case oe != nil && oe.Code == "invalid_scope":
		d.Kind = ErrProviderConfig
		d.Advice = "the provider rejected the requested scopes: check the account's oauth scopes"
	case strings.Contains(lower, "authenticationfailed") || strings.Contains(lower, "authentication failed") ||
		strings.Contains(lower, "535 ") || strings.Contains(lower, "invalid credentials"):
		var se *OAuthSASLError
		if errors.As(err, &se) || strings.Contains(lower, "xoauth2") || strings.Contains(lower, "oauthbearer") {
			d.Kind = ErrNeedsLogin
			d.Advice = "the server rejected the OAuth token: " + login + " (check the scopes if this repeats)"
		} else {
			d.Kind = nil
			d.Advice = "the server rejected the user name or password: check the configured password source"
			if google {
				d.Advice += "; Gmail needs an app password or OAuth"
			}
		}
	default:
		d.Advice = msg
	}
	return d
}

// Explain returns the user's next step for an authentication error; see
// Diagnose.
func Explain(err error, provider, account string) string {
	if d := Diagnose(err, provider, account); d != nil {
		return d.Advice
	}
	return ""
}

func isMicrosoft(p string) bool {
	p = strings.ToLower(p)
	return p == ProviderMicrosoft || strings.Contains(p, "outlook.") || strings.Contains(p, "office365") ||
		strings.Contains(p, "hotmail") || strings.Contains(p, "live.com")
}

func isGoogle(p string) bool {
	p = strings.ToLower(p)
	return p == ProviderGoogle || strings.Contains(p, "gmail") || strings.Contains(p, "google")
}
