package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// LoginOptions tune Login. The zero value is right for the CLI.
type LoginOptions struct {
	// Flow overrides the configured flow (FlowLoopback or FlowDevice).
	Flow string
	// NoBrowserOpen stops the loopback flow from launching a browser; the
	// URL is printed either way.
	NoBrowserOpen bool
	// OpenBrowser replaces the platform opener (xdg-open, open, rundll32).
	OpenBrowser func(url string) error
	// Logger receives diagnostics (never secrets); nil means slog.Default().
	Logger *slog.Logger
	// PollInterval, when set, replaces the device flow's server-advertised
	// polling interval (tests; a server may still answer slow_down).
	PollInterval time.Duration
	// SlowDownStep is added to the interval on slow_down; default 5 s
	// (RFC 8628 §3.5).
	SlowDownStep time.Duration
}

func (o LoginOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger.With("component", "auth")
	}
	return slog.Default().With("component", "auth")
}

// Login runs the interactive OAuth login for account and saves the token.
// Instructions (URL, device code) go to out — pass stderr, stdout is the MCP
// channel in stdio mode. in may supply a pasted redirect URL or code for the
// loopback flow on hosts without a browser; nil disables that.
func Login(ctx context.Context, cfg OAuthConfig, account string, store *TokenStore, in io.Reader, out io.Writer, opts LoginOptions) error {
	c, err := cfg.Resolve()
	if err != nil {
		return err
	}
	if err := ValidAccountName(account); err != nil {
		return err
	}
	if opts.Flow != "" {
		c.Flow = opts.Flow
		if c, err = c.Resolve(); err != nil {
			return err
		}
	}
	log := opts.logger().With("account", account, "provider", c.Provider, "flow", c.Flow)
	log.Debug("login started")
	var ot *oauth2.Token
	switch c.Flow {
	case FlowDevice:
		ot, err = deviceLogin(ctx, c, account, out, opts, log)
	default:
		ot, err = loopbackLogin(ctx, c, account, in, out, opts, log)
	}
	if err != nil {
		log.Info("login failed", "err", err)
		return fmt.Errorf("auth: login %s: %w", account, err)
	}
	now := time.Now()
	t := &Token{
		Account: account, Provider: c.Provider, ClientID: c.ClientID, TokenURL: c.TokenURL,
		AccessToken: Secret(ot.AccessToken), RefreshToken: Secret(ot.RefreshToken),
		TokenType: ot.TokenType, Expiry: ot.Expiry, Scopes: c.Scopes, ObtainedAt: now,
	}
	if s, ok := ot.Extra("scope").(string); ok && s != "" {
		t.Scopes = strings.Fields(s)
	}
	if t.RefreshToken == "" {
		p := "the provider returned no refresh token: this login lasts only until the access token expires"
		if c.Provider == ProviderGoogle {
			p += " (Google issues one only with access_type=offline and prompt=consent)"
		} else if c.Provider == ProviderMicrosoft {
			p += " (Microsoft needs the offline_access scope)"
		}
		t.Problems = addProblem(nil, now, p)
		fmt.Fprintf(out, "Warning: %s\n", p)
	}
	if err := store.Save(ctx, t); err != nil {
		return fmt.Errorf("auth: login %s: %w", account, err)
	}
	fmt.Fprintf(out, "Logged in %s. Token saved to %s", account, store.Path(account))
	if !t.Expiry.IsZero() {
		fmt.Fprintf(out, " (access token valid until %s; it refreshes automatically)", t.Expiry.Local().Format(time.DateTime))
	}
	fmt.Fprintln(out)
	log.Info("login complete", "expiry", t.Expiry, "has_refresh_token", t.RefreshToken != "")
	return nil
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
