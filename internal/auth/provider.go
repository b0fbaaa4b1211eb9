package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

	"golang.org/x/oauth2"
)

// Provider names understood by the presets.
const (
	ProviderGoogle    = "google"
	ProviderMicrosoft = "microsoft"
	ProviderGeneric   = "generic"
)

// Login flows.
const (
	FlowLoopback = "loopback" // authorization code + PKCE, redirect to 127.0.0.1
	FlowDevice   = "device"   // RFC 8628 device authorization grant
)

// Scopes for mail access. Microsoft's must never be mixed with Graph scopes
// in one request.
var (
	GoogleMailScopes    = []string{"https://mail.google.com/"}
	MicrosoftMailScopes = []string{
		"https://outlook.office.com/IMAP.AccessAsUser.All",
		"https://outlook.office.com/SMTP.Send",
		"offline_access",
	}
)

// Google endpoints (https://accounts.google.com/.well-known/openid-configuration).
const (
	googleAuthURL   = "https://accounts.google.com/o/oauth2/v2/auth"
	googleTokenURL  = "https://oauth2.googleapis.com/token"
	googleDeviceURL = "https://oauth2.googleapis.com/device/code"
	googleRevokeURL = "https://oauth2.googleapis.com/revoke"
)

// OAuthConfig describes one OAuth client registration. Provider presets fill
// the URLs, scopes and flow; anything set explicitly wins.
type OAuthConfig struct {
	Provider     string // ProviderGoogle, ProviderMicrosoft or ProviderGeneric
	ClientID     string
	ClientSecret Secret // optional; Google "desktop app" clients have one, public Microsoft clients do not
	Tenant       string // Microsoft: common (default), organizations, consumers or a tenant GUID/domain
	AuthURL      string
	TokenURL     string
	DeviceURL    string
	RevokeURL    string // empty: the provider cannot revoke (Microsoft)
	Scopes       []string
	RedirectPort int    // loopback flow: 0 picks a free port
	Flow         string // FlowLoopback or FlowDevice; empty: the provider's default

	// HTTPClient is used for every request to the provider; nil means a
	// client with a 30 s timeout. Every request is also bounded by its ctx.
	HTTPClient *http.Client
}

var tenantRE = regexp.MustCompile(`^[A-Za-z0-9.-]{1,128}$`)

// Resolve returns cfg with the provider's preset applied and checks it.
func (cfg OAuthConfig) Resolve() (OAuthConfig, error) {
	c := cfg
	if c.Provider == "" {
		c.Provider = ProviderGeneric
	}
	switch c.Provider {
	case ProviderGoogle:
		c.AuthURL = or(c.AuthURL, googleAuthURL)
		c.TokenURL = or(c.TokenURL, googleTokenURL)
		c.DeviceURL = or(c.DeviceURL, googleDeviceURL)
		c.RevokeURL = or(c.RevokeURL, googleRevokeURL)
		if len(c.Scopes) == 0 {
			c.Scopes = GoogleMailScopes
		}
		// Google's device flow rejects the mail scope: loopback only.
		c.Flow = or(c.Flow, FlowLoopback)
	case ProviderMicrosoft:
		c.Tenant = or(c.Tenant, "common")
		if !tenantRE.MatchString(c.Tenant) {
			return c, fmt.Errorf("auth: microsoft tenant %q is not common, organizations, consumers, a GUID or a domain", c.Tenant)
		}
		base := "https://login.microsoftonline.com/" + c.Tenant + "/oauth2/v2.0/"
		c.AuthURL = or(c.AuthURL, base+"authorize")
		c.TokenURL = or(c.TokenURL, base+"token")
		c.DeviceURL = or(c.DeviceURL, base+"devicecode")
		if len(c.Scopes) == 0 {
			c.Scopes = MicrosoftMailScopes
		}
		c.Flow = or(c.Flow, FlowDevice)
	case ProviderGeneric:
		if c.Flow == "" {
			c.Flow = FlowLoopback
			if c.AuthURL == "" && c.DeviceURL != "" {
				c.Flow = FlowDevice
			}
		}
	default:
		return c, fmt.Errorf("auth: unknown OAuth provider %q (want google, microsoft or generic)", c.Provider)
	}
	if c.ClientID == "" {
		return c, errors.New("auth: OAuth client_id is not configured")
	}
	if c.TokenURL == "" {
		return c, errors.New("auth: OAuth token URL is not configured")
	}
	switch c.Flow {
	case FlowLoopback:
		if c.AuthURL == "" {
			return c, errors.New("auth: loopback login needs an authorization URL")
		}
	case FlowDevice:
		if c.Provider == ProviderGoogle && slices.Contains(c.Scopes, GoogleMailScopes[0]) {
			return c, errors.New("auth: Google's device flow rejects the mail scope; use the loopback flow (paste the redirect address on headless hosts)")
		}
		if c.DeviceURL == "" {
			return c, errors.New("auth: device login needs a device authorization URL")
		}
	default:
		return c, fmt.Errorf("auth: unknown login flow %q (want loopback or device)", c.Flow)
	}
	if c.RedirectPort < 0 || c.RedirectPort > 65535 {
		return c, fmt.Errorf("auth: redirect port %d out of range", c.RedirectPort)
	}
	return c, nil
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

func (cfg OAuthConfig) oauth2Config(redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret.Reveal(),
		Endpoint: oauth2.Endpoint{
			AuthURL:       cfg.AuthURL,
			TokenURL:      cfg.TokenURL,
			DeviceAuthURL: cfg.DeviceURL,
			// Google and Microsoft both take credentials in the form; fixing
			// the style also stops x/oauth2 from retrying a failed request
			// (auto-detection), which would double-spend a rotating token.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      cfg.Scopes,
	}
}

func (cfg OAuthConfig) httpClient() *http.Client {
	if cfg.HTTPClient != nil {
		return cfg.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// withClient puts the HTTP client where x/oauth2 looks for it.
func (cfg OAuthConfig) withClient(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, cfg.httpClient())
}
