package imapconn

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/auth"
)

// PasswordLogin logs in with a password or app password read from its
// source. The secret is cached in memory after first use (a password command
// such as `pass` may be slow or prompt) and read again after a refusal.
type PasswordLogin struct {
	Username string
	Source   auth.SecretSource

	mu     sync.Mutex
	cached auth.Secret
}

func (l *PasswordLogin) secret(ctx context.Context) (auth.Secret, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.cached.IsZero() {
		return l.cached, nil
	}
	s, _, err := l.Source.Resolve(ctx)
	if err != nil {
		return "", &Error{Kind: KindAuth, Op: "read password", Err: fmt.Errorf("cannot read the password (%s): %v", l.Source.Describe(), err),
			Hint: "Ask the user to fix the account's password source in the mailmcp config"}
	}
	l.cached = s
	return s, nil
}

func (l *PasswordLogin) forget() {
	l.mu.Lock()
	l.cached = ""
	l.mu.Unlock()
}

// AuthenticateIMAP implements Authenticator with LOGIN, or AUTHENTICATE
// PLAIN when the server disables LOGIN (RFC 9051 6.2.3).
func (l *PasswordLogin) AuthenticateIMAP(ctx context.Context, c *imapclient.Client) error {
	s, err := l.secret(ctx)
	if err != nil {
		return err
	}
	if c.Caps().Has(imap.CapLoginDisabled) {
		sc, _ := auth.NewSASLClient(auth.MechPlain, l.Username, s, "", 0)
		err = c.Authenticate(sc)
	} else {
		err = c.Login(l.Username, s.Reveal()).Wait()
	}
	if err != nil {
		l.forget()
	}
	return err
}

// OAuthLogin authenticates with an OAuth 2.0 access token over XOAUTH2 or
// OAUTHBEARER, refreshing once when the server rejects the token.
type OAuthLogin struct {
	Username string
	Provider string
	Host     string
	Port     int
	Tokens   *auth.TokenSource
}

// AuthenticateIMAP implements Authenticator.
func (l *OAuthLogin) AuthenticateIMAP(ctx context.Context, c *imapclient.Client) error {
	var offered []string
	for cp := range c.Caps() {
		if m, ok := strings.CutPrefix(string(cp), "AUTH="); ok {
			offered = append(offered, m)
		}
	}
	mech, err := auth.ChooseMechanism(offered, true, l.Provider)
	if err != nil {
		return &Error{Kind: KindUnsupported, Op: "login", Err: err}
	}
	tok, err := l.Tokens.AccessToken(ctx)
	if err != nil {
		return oauthErr(err, l.Provider)
	}
	sc, err := auth.NewSASLClient(mech, l.Username, tok, l.Host, l.Port)
	if err != nil {
		return err
	}
	err = c.Authenticate(sc)
	if err == nil {
		return nil
	}
	// The token may have been revoked or expired early: refresh once and let
	// the pool redial (a failed AUTHENTICATE leaves the connection unusable).
	if _, rerr := l.Tokens.Refresh(ctx, tok); rerr != nil {
		return oauthErr(rerr, l.Provider)
	}
	return err
}

func oauthErr(err error, provider string) error {
	kind := KindAuth
	if errors.Is(err, context.DeadlineExceeded) {
		kind = KindTimeout
	}
	return &Error{Kind: kind, Op: "oauth token", Err: errors.New(auth.Explain(err, provider, ""))}
}
