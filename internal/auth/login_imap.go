package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// PasswordLogin logs in to IMAP (AuthenticateIMAP) and SMTP submission
// (AuthenticateSMTP) with a password or app password read from its
// source. The secret is cached in memory after first use (a password command
// such as `pass` may be slow or prompt) and read again after a refusal.
type PasswordLogin struct {
	Username string
	Source   SecretSource
	// Mechanism is the account's auth_mechanism override; empty chooses
	// the strongest mechanism the server offers (Choose).
	Mechanism string

	used atomic.Value // string: the mechanism of the last successful login

	mu     sync.Mutex
	cached Secret
}

func (l *PasswordLogin) secret(ctx context.Context) (Secret, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.cached.IsZero() {
		return l.cached, nil
	}
	s, _, err := l.Source.Resolve(ctx)
	if err != nil {
		return "", &fault.Error{Kind: fault.Auth, Op: "read password", Err: fmt.Errorf("cannot read the password (%s): %v", l.Source.Describe(), err),
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

// AuthenticateIMAP implements imapconn.Authenticator. It uses the strongest
// challenge-response mechanism the server offers (SCRAM, channel-bound on
// TLS; then CRAM-MD5), else the LOGIN command, or AUTHENTICATE PLAIN when
// the server disables LOGIN (RFC 9051 6.2.3). An auth_mechanism override is
// used as given, or refused when not offered. SCRAM is used only on a link
// that can finish it (IMAPLink.SCRAM, set by imapconn's connections).
func (l *PasswordLogin) AuthenticateIMAP(ctx context.Context, c *imapclient.Client) error {
	link := IMAPLinkFrom(ctx)
	if !link.SCRAM && strings.HasPrefix(strings.ToUpper(l.Mechanism), "SCRAM-") {
		return &fault.Error{Kind: fault.Unsupported, Op: "login", Err: fmt.Errorf("imap login: auth_mechanism %s needs a connection that can send an empty SASL response "+
			"(go-imap v2.0.0-beta.8 alone sends \"=\"); this one cannot", l.Mechanism),
			Hint: "Remove auth_mechanism from the account, or set CRAM-MD5, PLAIN or LOGIN"}
	}
	var offered []string
	for _, m := range authMechanisms(c.Caps()) {
		if link.SCRAM || !strings.HasPrefix(m, "SCRAM-") {
			offered = append(offered, m)
		}
	}
	mech, cerr := Choose(offered, Choice{Override: l.Mechanism, TLS: link.TLS != nil})
	if cerr != nil && l.Mechanism != "" {
		return &fault.Error{Kind: fault.Unsupported, Op: "login", Err: fmt.Errorf("imap login: %w", cerr),
			Hint: "Remove auth_mechanism from the account, or set it to one the server offers"}
	}
	s, err := l.secret(ctx)
	if err != nil {
		return err
	}
	switch {
	case cerr == nil && (mech != MechPlain && mech != MechLogin || l.Mechanism != ""):
		err = l.authenticate(c, mech, s, link.TLS)
	case c.Caps().Has(imap.CapLoginDisabled):
		mech = MechPlain
		err = l.authenticate(c, mech, s, link.TLS)
	default:
		mech = "LOGIN command"
		err = c.Login(l.Username, s.Reveal()).Wait()
	}
	if err != nil {
		l.forget()
		return err
	}
	l.used.Store(mech)
	return nil
}

func (l *PasswordLogin) authenticate(c *imapclient.Client, mech string, s Secret, cs *tls.ConnectionState) error {
	sc, err := NewSASLClient(mech, l.Username, s, "", 0, cs)
	if err != nil {
		return err
	}
	if err := c.Authenticate(sc); err != nil {
		return err
	}
	return VerifySASL(sc)
}

// IMAPLink describes the connection an IMAP login runs on.
type IMAPLink struct {
	// TLS is the connection's TLS state, nil without TLS: SCRAM binds to it
	// (-PLUS, or the "y" flag that lets a server detect a stripped -PLUS,
	// RFC 5802 6).
	TLS *tls.ConnectionState
	// SCRAM is true when the stream sends an empty SASL continuation
	// response as the empty line servers expect. SCRAM's last client
	// message is empty, and a bare go-imap v2.0.0-beta.8 client sends it as
	// "=", which servers refuse (Dovecot: "Invalid base64 data in continued
	// response"); imapconn's connections correct it.
	SCRAM bool
}

type imapLinkKey struct{}

// WithIMAPLink returns ctx carrying what the login should know of its link.
func WithIMAPLink(ctx context.Context, l IMAPLink) context.Context {
	return context.WithValue(ctx, imapLinkKey{}, l)
}

// IMAPLinkFrom returns the link WithIMAPLink put in ctx (zero: no TLS
// state, no SCRAM).
func IMAPLinkFrom(ctx context.Context) IMAPLink {
	l, _ := ctx.Value(imapLinkKey{}).(IMAPLink)
	return l
}

// UsedMechanism is the mechanism of the last successful login ("" before
// one).
func (l *PasswordLogin) UsedMechanism() string {
	m, _ := l.used.Load().(string)
	return m
}

// OAuthLogin authenticates to IMAP and SMTP submission with an OAuth 2.0
// access token over XOAUTH2 or OAUTHBEARER, refreshing once when the server
// rejects the token.
type OAuthLogin struct {
	Username string
	Provider string
	Host     string
	Port     int
	Tokens   *TokenSource
}

// AuthenticateIMAP implements imapconn.Authenticator.
func (l *OAuthLogin) AuthenticateIMAP(ctx context.Context, c *imapclient.Client) error {
	mech, err := ChooseMechanism(authMechanisms(c.Caps()), true, l.Provider)
	if err != nil {
		return &fault.Error{Kind: fault.Unsupported, Op: "login", Err: err}
	}
	tok, err := l.Tokens.AccessToken(ctx)
	if err != nil {
		return tokenErr(err, l.Provider)
	}
	sc, err := NewSASLClient(mech, l.Username, tok, l.Host, l.Port, nil)
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
		return tokenErr(rerr, l.Provider)
	}
	return err
}

// authMechanisms lists the SASL mechanisms in IMAP capabilities
// (AUTH=NAME, RFC 9051 6.2.2), upper-cased.
func authMechanisms(caps imap.CapSet) []string {
	var ms []string
	for cp := range caps {
		if m, ok := strings.CutPrefix(strings.ToUpper(string(cp)), "AUTH="); ok {
			ms = append(ms, m)
		}
	}
	return ms
}

func tokenErr(err error, provider string) error {
	kind := fault.Auth
	if errors.Is(err, context.DeadlineExceeded) {
		kind = fault.Timeout
	}
	return &fault.Error{Kind: kind, Op: "oauth token", Err: errors.New(Explain(err, provider, ""))}
}
