package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// Errors callers can test with errors.Is. Explain turns them, and raw server
// replies, into the next step for the user.
var (
	// ErrNeedsLogin: there is no usable token; run `mailmcp auth login`.
	ErrNeedsLogin = errors.New("auth: login required")
	// ErrNeedsOAuth: the server refused password authentication and the
	// account must switch to OAuth.
	ErrNeedsOAuth = errors.New("auth: the server requires OAuth for this account")
	// ErrAppPasswordRequired: the provider wants an app-specific password.
	ErrAppPasswordRequired = errors.New("auth: the provider requires an app password")
	// ErrClockSkew: this machine's clock is too far from the server's.
	ErrClockSkew = errors.New("auth: system clock is wrong")
	// ErrAccessDenied: the user declined the authorization request.
	ErrAccessDenied = errors.New("auth: authorization was denied")
	// ErrDeviceCodeExpired: the device code expired before the user approved.
	ErrDeviceCodeExpired = errors.New("auth: the device code expired before approval")
	// ErrStateMismatch: a redirect carried the wrong state parameter.
	ErrStateMismatch = errors.New("auth: state parameter mismatch (not the redirect of this login)")
	// ErrProviderConfig: the OAuth app registration or config is wrong.
	ErrProviderConfig = errors.New("auth: OAuth client configuration problem")
)

// OAuthError is an error answer from an OAuth endpoint (RFC 6749 §5.2). It
// never holds the response body, which may echo secrets.
type OAuthError struct {
	Op          string // "refresh", "exchange code", "device poll", …
	Code        string // e.g. invalid_grant
	Description string // e.g. "AADSTS70000: ..."
	HTTPStatus  int
	ServerDate  time.Time // from the Date header, for clock-skew checks
	kind        error     // one of the sentinels, or nil
}

func (e *OAuthError) Error() string {
	s := "auth: " + e.Op + ": "
	switch {
	case e.Code != "":
		s += e.Code
		if e.Description != "" {
			s += ": " + safeStderr(e.Description)
		}
	case e.HTTPStatus != 0:
		s += fmt.Sprintf("HTTP %d from the token endpoint", e.HTTPStatus)
	default:
		s += "token endpoint error"
	}
	return s
}

// Unwrap lets errors.Is match the sentinel the error implies.
func (e *OAuthError) Unwrap() error { return e.kind }

// oauthErr converts an error from x/oauth2 into one safe to show: a
// *oauth2.RetrieveError becomes an *OAuthError (its Error() would print the
// raw body); anything else is wrapped with op.
func oauthErr(op string, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return fmt.Errorf("auth: %s: %w", op, err)
	}
	oe := &OAuthError{Op: op, Code: re.ErrorCode, Description: re.ErrorDescription}
	if re.Response != nil {
		oe.HTTPStatus = re.Response.StatusCode
		oe.ServerDate = serverDate(re.Response.Header)
	}
	oe.kind = classifyOAuth(oe.Code, oe.Description)
	return oe
}

func serverDate(h http.Header) time.Time {
	if d := h.Get("Date"); d != "" {
		if t, err := http.ParseTime(d); err == nil {
			return t
		}
	}
	return time.Time{}
}

func classifyOAuth(code, desc string) error {
	switch code {
	case "invalid_grant":
		if aadCode(desc) == "AADSTS700024" || isSkewText(desc) {
			return ErrClockSkew
		}
		return ErrNeedsLogin
	case "access_denied":
		return ErrAccessDenied
	case "expired_token":
		return ErrDeviceCodeExpired
	case "invalid_client", "unauthorized_client", "invalid_scope":
		return ErrProviderConfig
	}
	if aadCode(desc) != "" {
		if k := aadKind(aadCode(desc)); k != nil {
			return k
		}
	}
	return nil
}
