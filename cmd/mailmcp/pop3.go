package main

import (
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/pop3"
	"github.com/mailmcp/mailmcp/internal/popbox"
	"github.com/mailmcp/mailmcp/internal/popstore"
)

// startPOP3 starts the local mailbox of every protocol = "pop3" account
// (internal/popbox) and points the account's engine view at it, before
// any connection is made. The returned stop closes them, after the mail
// connections that use them.
func startPOP3(eng *engine, log *slog.Logger) (stop func()) {
	var boxes []*popbox.Box
	for _, acct := range eng.accounts {
		a := acct.Config()
		if a.Protocol != config.ProtocolPOP3 {
			continue
		}
		ma := acct.Engine()
		box, err := startBox(eng.cfg, a, ma, log)
		if err != nil {
			// The pool then fails each call with this account's login
			// error; the log says why.
			log.Error("pop3 account unavailable", "account", a.ID, "err", err)
			continue
		}
		host, port := splitAddr(box.Addr)
		ma.IMAP = imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSPlain}
		ma.Auth = box.Login(&auth.PasswordLogin{Username: a.Login(), Source: passwordSource(a), Mechanism: smtpMechanism(a)})
		boxes = append(boxes, box)
		log.Info("pop3 account served from its local copy", "account", a.ID, "pop3", a.POP3.Address())
	}
	return func() {
		for _, b := range boxes {
			b.Close()
		}
	}
}

func startBox(cfg *config.Config, a *config.Account, ma *imapconn.Account, log *slog.Logger) (*popbox.Box, error) {
	st, err := popstore.Open(filepath.Join(cfg.StateDir, "pop3", a.ID))
	if err != nil {
		return nil, err
	}
	tlsCfg, err := imapconn.TLSConfig(a.POP3.Host, a.CAFile)
	if err != nil {
		return nil, err
	}
	sy := &popstore.Syncer{Store: st, Log: log.With("account", a.ID),
		DeleteAfter: time.Duration(a.POP3DeleteAfterDays) * 24 * time.Hour,
		Dial: popbox.Dialer(popbox.Server{Addr: a.POP3.Address(), TLS: pop3.TLSMode(a.POP3.TLS), TLSConfig: tlsCfg,
			Login: &auth.PasswordLogin{Username: a.Login(), Source: passwordSource(a), Mechanism: a.AuthMechanism}})}
	poll := time.Duration(a.PollInterval)
	if poll <= 0 {
		poll = time.Minute
	}
	return popbox.Start(popbox.Options{Store: st, Syncer: sy, Poll: poll, Log: log})
}

// smtpMechanism is the account's auth_mechanism for submission: APOP and
// USER name POP3 logins and mean nothing to SMTP.
func smtpMechanism(a *config.Account) string {
	if strings.EqualFold(a.AuthMechanism, "APOP") || strings.EqualFold(a.AuthMechanism, "USER") {
		return ""
	}
	return a.AuthMechanism
}
