package imapconn

import (
	"context"
	"errors"
	"fmt"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
)

// AuthenticateSMTP implements SMTPAuthenticator with AUTH PLAIN, or LOGIN
// when the server offers only that (RFC 4954).
func (l *PasswordLogin) AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, _ string, _ int) error {
	mech, err := auth.ChooseMechanism(offered, false, "")
	if err != nil {
		return &Error{Kind: KindUnsupported, Op: "login", Err: fmt.Errorf("smtp login: %w", err)}
	}
	s, err := l.secret(ctx)
	if err != nil {
		return err
	}
	sc, err := auth.NewSASLClient(mech, l.Username, s, "", 0)
	if err != nil {
		return err
	}
	if err := c.Auth(sc); err != nil {
		l.forget() // read the password source again next time
		return err
	}
	return nil
}

// AuthenticateSMTP implements SMTPAuthenticator with XOAUTH2 or
// OAUTHBEARER. When the server rejects the token it is refreshed and
// ErrRetryAuth asks Submit for one more attempt on a new connection.
func (l *OAuthLogin) AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, host string, port int) error {
	mech, err := auth.ChooseMechanism(offered, true, l.Provider)
	if err != nil {
		return &Error{Kind: KindUnsupported, Op: "login", Err: fmt.Errorf("smtp login: %w", err)}
	}
	tok, err := l.Tokens.AccessToken(ctx)
	if err != nil {
		return oauthErr(err, l.Provider)
	}
	sc, err := auth.NewSASLClient(mech, l.Username, tok, host, port)
	if err != nil {
		return err
	}
	err = auth.WrapSASLError(c.Auth(sc), sc)
	if err == nil {
		return nil
	}
	var se *smtp.SMTPError
	if ctx.Err() == nil && errors.As(err, &se) && se.Code/100 == 5 {
		if _, rerr := l.Tokens.Refresh(ctx, tok); rerr != nil {
			return oauthErr(rerr, l.Provider)
		}
		return fmt.Errorf("%w: %w", ErrRetryAuth, err)
	}
	return err
}
