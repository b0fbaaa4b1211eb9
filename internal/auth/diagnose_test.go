package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDiagnose(t *testing.T) {
	cases := []struct {
		name     string
		err      error
		provider string
		kind     error
		want     string
	}{
		{"m365 basic auth imap", errors.New("imap: NO AUTHENTICATE failed."), "outlook.office365.com", ErrNeedsOAuth, "mailmcp auth login work"},
		{"m365 basic auth smtp", errors.New("SMTP error 535: 5.7.139 Authentication unsuccessful, basic authentication is disabled."), ProviderMicrosoft, ErrNeedsOAuth, "needs OAuth"},
		{"gmail app password", errors.New("SMTP error 534: 5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor"), ProviderGoogle, ErrAppPasswordRequired, "app password"},
		{"invalid_grant google", &OAuthError{Op: "refresh", Code: "invalid_grant", kind: ErrNeedsLogin}, ProviderGoogle, ErrNeedsLogin, "Testing"},
		{"aad tenant", errors.New("oauth: AADSTS50020: User account from identity provider does not exist in tenant"), ProviderMicrosoft, ErrProviderConfig, "tenant"},
		{"aad 90002", errors.New("AADSTS90002: Tenant 'x' not found"), ProviderMicrosoft, ErrProviderConfig, "tenant"},
		{"aad consent", errors.New("AADSTS65001: The user or administrator has not consented"), ProviderMicrosoft, ErrNeedsLogin, "consent"},
		{"aad app", errors.New("AADSTS700016: Application with identifier 'x' was not found"), ProviderMicrosoft, ErrProviderConfig, "client_id"},
		{"aad secret", errors.New("AADSTS7000215: Invalid client secret provided."), ProviderMicrosoft, ErrProviderConfig, "secret"},
		{"aad mfa", errors.New("AADSTS50076: Due to a configuration change ... multi-factor"), ProviderMicrosoft, ErrNeedsLogin, "multi-factor"},
		{"skew text", errors.New("token is not yet valid (nbf)"), ProviderGeneric, ErrClockSkew, "clock"},
		{"skew date", &OAuthError{Op: "refresh", Code: "invalid_grant", ServerDate: time.Now().Add(-time.Hour)}, ProviderGoogle, ErrClockSkew, "ahead of"},
		{"password rejected", errors.New("NO [AUTHENTICATIONFAILED] Authentication failed."), "imap.fastmail.com", nil, "password"},
		{"token rejected", errors.Join(errors.New("535 auth failed"), &OAuthSASLError{Mechanism: "XOAUTH2", Status: "401"}), ProviderGoogle, ErrNeedsLogin, "rejected the OAuth token"},
		{"unknown", errors.New("connection reset"), ProviderGoogle, nil, "connection reset"},
	}
	for _, tc := range cases {
		d := Diagnose(tc.err, tc.provider, "work")
		if d.Kind != tc.kind || !strings.Contains(d.Advice, tc.want) {
			t.Errorf("%s: kind %v advice %q; want %v containing %q", tc.name, d.Kind, d.Advice, tc.kind, tc.want)
		}
		if tc.kind != nil && !errors.Is(d, tc.kind) {
			t.Errorf("%s: errors.Is(kind) false", tc.name)
		}
		if !errors.Is(d, tc.err) {
			t.Errorf("%s: cause not wrapped", tc.name)
		}
	}
	if Diagnose(nil, "", "") != nil || Explain(nil, "", "") != "" {
		t.Error("nil error diagnosed")
	}
}

func TestCheckClock(t *testing.T) {
	now := time.Now()
	if p := CheckClock(now.Add(30*time.Second), now); p != "" {
		t.Errorf("30 s flagged: %s", p)
	}
	if p := CheckClock(now.Add(10*time.Minute), now); !strings.Contains(p, "behind") {
		t.Errorf("10 min behind: %q", p)
	}
	if CheckClock(time.Time{}, now) != "" {
		t.Error("zero date flagged")
	}
}

func TestResolvePresets(t *testing.T) {
	g, err := OAuthConfig{Provider: ProviderGoogle, ClientID: "c"}.Resolve()
	if err != nil || g.Flow != FlowLoopback || g.RevokeURL == "" || g.Scopes[0] != "https://mail.google.com/" {
		t.Fatalf("google: %+v %v", g, err)
	}
	if _, err := (OAuthConfig{Provider: ProviderGoogle, ClientID: "c", Flow: FlowDevice}).Resolve(); err == nil {
		t.Fatal("google device flow with the mail scope accepted")
	}
	m, err := OAuthConfig{Provider: ProviderMicrosoft, ClientID: "c", Tenant: "organizations"}.Resolve()
	if err != nil || m.Flow != FlowDevice || m.RevokeURL != "" || len(m.Scopes) != 3 ||
		m.TokenURL != "https://login.microsoftonline.com/organizations/oauth2/v2.0/token" {
		t.Fatalf("microsoft: %+v %v", m, err)
	}
	if _, err := (OAuthConfig{Provider: ProviderMicrosoft, ClientID: "c", Tenant: "../x"}).Resolve(); err == nil {
		t.Fatal("bad tenant accepted")
	}
	if _, err := (OAuthConfig{Provider: ProviderGeneric, ClientID: "c"}).Resolve(); err == nil {
		t.Fatal("generic without URLs accepted")
	}
}
