package auth

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// ErrRetryAuth, wrapped by an AuthenticateSMTP error, asks submit.Submit
// for one more attempt on a fresh connection (after refreshing a rejected
// OAuth token).
var ErrRetryAuth = errors.New("retry authentication on a new connection")

// AuthenticateSMTP implements submit.Authenticator with the strongest
// mechanism the server offers (SCRAM, channel-bound on TLS; CRAM-MD5;
// PLAIN; LOGIN: RFC 4954), or the account's auth_mechanism override.
func (l *PasswordLogin) AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, _ string, _ int) error {
	var cs *tls.ConnectionState
	if st, ok := c.TLSConnectionState(); ok {
		cs = &st
	}
	mech, err := Choose(offered, Choice{Override: l.Mechanism, TLS: cs != nil})
	if err != nil {
		return &fault.Error{Kind: fault.Unsupported, Op: "login", Err: fmt.Errorf("smtp login: %w", err)}
	}
	s, err := l.secret(ctx)
	if err != nil {
		return err
	}
	sc, err := NewSASLClient(mech, l.Username, s, "", 0, cs)
	if err != nil {
		return err
	}
	if err := c.Auth(sc); err != nil {
		l.forget() // read the password source again next time
		return err
	}
	if err := VerifySASL(sc); err != nil {
		return err // auth_failed, with the hint that the server may be fake
	}
	l.used.Store(mech)
	return nil
}

// AuthenticateSMTP implements submit.Authenticator with XOAUTH2 or
// OAUTHBEARER. When the server rejects the token it is refreshed and
// ErrRetryAuth asks submit.Submit for one more attempt on a new connection.
func (l *OAuthLogin) AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, host string, port int) error {
	mech, err := ChooseMechanism(offered, true, l.Provider)
	if err != nil {
		return &fault.Error{Kind: fault.Unsupported, Op: "login", Err: fmt.Errorf("smtp login: %w", err)}
	}
	tok, err := l.Tokens.AccessToken(ctx)
	if err != nil {
		return tokenErr(err, l.Provider)
	}
	sc, err := NewSASLClient(mech, l.Username, tok, host, port, nil)
	if err != nil {
		return err
	}
	err = WrapSASLError(c.Auth(sc), sc)
	if err == nil {
		return nil
	}
	var se *smtp.SMTPError
	if ctx.Err() == nil && errors.As(err, &se) && se.Code/100 == 5 {
		if _, rerr := l.Tokens.Refresh(ctx, tok); rerr != nil {
			return tokenErr(rerr, l.Provider)
		}
		return fmt.Errorf("%w: %w", ErrRetryAuth, err)
	}
	return err
}
