package submit

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
)

// Account is what a submission needs of an account: its submission
// server, the TLS configuration that verifies it and the login.
type Account struct {
	// ID names the account in errors.
	ID string
	// Email is the account's address, named in login errors.
	Email string
	// Server is the submission server.
	Server Server
	// TLS is the client TLS configuration (RootCAs with any extra CA); nil
	// means the system roots. ServerName is set from Server.Host.
	TLS *tls.Config
	// Auth logs the session in; nil submits without AUTH.
	Auth Authenticator
	// DialTimeout bounds connect and TLS (default 15 s).
	DialTimeout time.Duration
}

// Server is a submission server and how to secure the connection.
type Server struct {
	Host string
	Port int
	// TLS is TLSImplicit, TLSStartTLS or TLSPlain.
	TLS string
}

// Address is host:port.
func (s Server) Address() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// TLS modes, as in the configuration.
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSPlain    = "plain"
)

// Envelope is the SMTP envelope of one submission (RFC 5321 3.3).
type Envelope struct {
	// From is the MAIL FROM address (the account's address).
	From string
	// To are the RCPT TO addresses (To, Cc and Bcc of the message).
	To []string
	// EnvID is the DSN envelope id (RFC 3461 4.4), printable ASCII, sent
	// when the server offers DSN; bounces carry it back as
	// Original-Envelope-Id. Use the outbox item id.
	EnvID string
	// SMTPUTF8 must be set when an address has a non-ASCII local part
	// (compose.Built.NeedsSMTPUTF8); the submission fails with
	// fault.Unsupported when the server does not offer SMTPUTF8 (RFC 6531).
	SMTPUTF8 bool
	// BeforeCommit, when set, runs after the message data has been written
	// and right before the final "." that asks the server to take the
	// message. Up to that point a crash or an abort leaves nothing sent (the
	// server discards an unfinished transaction), so a journal can record
	// "from here on the outcome may be unknown" exactly. An error aborts the
	// submission without sending the ".".
	BeforeCommit func() error
}

// Result is the outcome of a submission the server accepted for at least
// one recipient.
type Result struct {
	// Accepted recipients, to whom the message was handed over.
	Accepted []string `json:"accepted"`
	// Refused recipients, each with the server's reply. A permanent
	// refusal will not change on retry; a temporary one (4xx) may.
	Refused []RecipientError `json:"refused,omitempty"`
	// Response is the server's reply to the message data, e.g.
	// "2.0.0 Ok: queued as 4Xy…" (often naming its queue id).
	Response string `json:"response,omitempty"`
	// DSN is true when delivery status notifications were requested
	// (NOTIFY=FAILURE,DELAY, RET=HDRS, ENVID) because the server offers DSN.
	DSN bool `json:"dsn,omitempty"`
}

// Authenticator authenticates an SMTP submission session (auth.PasswordLogin
// and auth.OAuthLogin implement it). offered are the mechanisms of the
// server's AUTH extension. Implementations must not log or return secrets.
// After a failed AUTH the session is unusable (go-smtp sends "*" even after
// the final 535, and Postfix then drops the session): return an error and
// Submit closes it. An error wrapping auth.ErrRetryAuth asks Submit to
// reconnect and authenticate once more (e.g. after refreshing a rejected
// OAuth token).
type Authenticator interface {
	AuthenticateSMTP(ctx context.Context, c *smtp.Client, offered []string, host string, port int) error
}

// submitTimeout bounds a submission whose ctx has no deadline.
const submitTimeout = 2 * time.Minute

// Submit hands raw to a.Server for env's recipients: TCP connect, implicit TLS
// (port 465 style) or STARTTLS (RFC 3207), EHLO with a real host name, AUTH
// with a.Auth when set (never without TLS,
// except to a loopback server configured as "plain"), MAIL FROM with
// SMTPUTF8 (RFC 6531) when env asks and DSN parameters (RFC 3461) when the
// server offers them, one RCPT TO per recipient, DATA for the accepted ones.
//
// Every step runs under ctx (2 minutes when ctx has no deadline) and
// cancelling ctx closes the connection at once.
//
// It returns a result when at least one recipient accepted the message;
// refused recipients are listed in it. Otherwise the error is an *fault.Error:
// Permanent(err) tells a 5xx reply, a refused login or a missing capability
// (do not retry) from network failures and 4xx replies (retry later), and
// ErrOutcomeUnknown is wrapped when the connection failed after the data was
// sent. When every recipient was refused the result is returned too, with
// the error.
func Submit(ctx context.Context, a *Account, env Envelope, raw []byte) (*Result, error) {
	if a.Server.Host == "" || a.Server.Port == 0 {
		return nil, &fault.Error{Kind: fault.Invalid, Op: "submit", Err: fmt.Errorf("account %s has no SMTP server configured", a.ID),
			Hint: "Ask the user to set the account's smtp host and port in the mailmcp config"}
	}
	if env.From == "" || len(env.To) == 0 {
		return nil, &fault.Error{Kind: fault.Invalid, Op: "submit", Err: errors.New("submit: the envelope needs a sender and at least one recipient")}
	}
	for _, s := range append([]string{env.From, env.EnvID}, env.To...) {
		if strings.ContainsAny(s, "\r\n\x00<>") {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "submit", Err: fmt.Errorf("submit: envelope address %q contains a forbidden character", truncate(s, 80))}
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, submitTimeout)
		defer cancel()
	}
	res, err := submitOnce(ctx, a, env, raw)
	var ra *retryAuth
	if errors.As(err, &ra) && ctx.Err() == nil {
		res, err = submitOnce(ctx, a, env, raw)
	}
	if errors.As(err, &ra) {
		err = ra.err // report the login failure itself
	}
	return res, err
}

// retryAuth carries a login failure that one reconnection may cure.
type retryAuth struct{ err *fault.Error }

func (r *retryAuth) Error() string { return r.err.Error() }
func (r *retryAuth) Unwrap() error { return r.err }

// session is one SMTP connection being used for a submission.
type session struct {
	a      *Account
	c      *smtp.Client
	server string
	secure bool // TLS is established
}

func submitOnce(ctx context.Context, a *Account, env Envelope, raw []byte) (*Result, error) {
	s := &session{a: a, server: a.Server.Address()}
	if err := s.connect(ctx, env.From); err != nil {
		return nil, err
	}
	defer s.c.Close()
	// The watchdog closes the connection when ctx ends, which unblocks any
	// read or write in progress (go-smtp's own timeouts are per command).
	stop := context.AfterFunc(ctx, func() { s.c.Close() })
	defer stop()
	fail := func(op string, err error) error { return smtpFail(op, s.server, err, ctx.Err()) }

	if err := s.login(ctx); err != nil {
		return nil, err
	}
	res := &Result{}
	mo := &smtp.MailOptions{Size: int64(len(raw))}
	if env.SMTPUTF8 {
		if ok, _ := s.c.Extension("SMTPUTF8"); !ok {
			return nil, &fault.Error{Kind: fault.Unsupported, Op: "mail from", Err: fmt.Errorf("an address needs SMTPUTF8 (RFC 6531), which the SMTP server %s does not offer", s.server),
				Hint: "Use an ASCII address for this recipient, or a server that supports internationalised addresses"}
		}
		mo.UTF8 = true
	}
	if max, ok := s.c.MaxMessageSize(); ok && max > 0 && len(raw) > max {
		return nil, &fault.Error{Kind: fault.Invalid, Op: "mail from", Err: fmt.Errorf("the message (%d bytes) is larger than the %d bytes the SMTP server %s accepts", len(raw), max, s.server),
			Hint: "Send fewer or smaller attachments"}
	}
	var ro *smtp.RcptOptions
	if ok, _ := s.c.Extension("DSN"); ok {
		res.DSN = true
		mo.Return = smtp.DSNReturnHeaders
		mo.EnvelopeID = env.EnvID
		ro = &smtp.RcptOptions{Notify: []smtp.DSNNotify{smtp.DSNNotifyFailure, smtp.DSNNotifyDelayed}}
	}
	if err := s.c.Mail(env.From, mo); err != nil {
		return nil, fail("mail from", err)
	}
	for _, rcpt := range env.To {
		err := s.c.Rcpt(rcpt, ro)
		if err == nil {
			res.Accepted = append(res.Accepted, rcpt)
			continue
		}
		var se *smtp.SMTPError
		if !errors.As(err, &se) {
			return nil, fail("rcpt to", err)
		}
		res.Refused = append(res.Refused, RecipientError{Address: rcpt, Code: se.Code, Enhanced: enhancedString(se.EnhancedCode),
			Message: oneLine(se.Message), Permanent: se.Code/100 == 5})
	}
	if len(res.Accepted) == 0 {
		_ = s.c.Reset()
		return res, allRefused(res.Refused, s.server)
	}
	w, err := s.c.Data()
	if err != nil {
		return nil, fail("data", err)
	}
	if _, err := w.Write(raw); err != nil {
		return nil, fail("data", err)
	}
	if env.BeforeCommit != nil {
		if err := env.BeforeCommit(); err != nil {
			// Closing without the final dot: the server drops the message.
			s.c.Close()
			return nil, &fault.Error{Kind: fault.Cancelled, Op: "data", Err: fmt.Errorf("submission aborted before the message was committed: %w", err)}
		}
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return nil, fail("data", err)
		}
		// The final "." may have reached the server: the outcome is unknown.
		return nil, &fault.Error{Kind: fault.ConnLost, Op: "data", Err: fmt.Errorf("data: %w (%v)", ErrOutcomeUnknown, err),
			Hint: "Check the Sent folder or ask a recipient before sending again"}
	}
	res.Response = oneLine(resp.StatusText)
	_ = s.c.Quit() // the message is accepted; a failed QUIT changes nothing
	return res, nil
}

// allRefused turns a transaction without any accepted recipient into an
// error: transient if any refusal was temporary.
func allRefused(refused []RecipientError, server string) error {
	msgs := make([]string, len(refused))
	permanent := true
	first := refused[0]
	for i, r := range refused {
		msgs[i] = r.Error()
		if !r.Permanent {
			permanent = false
			first = r
		}
	}
	se := &smtp.SMTPError{Code: first.Code, Message: first.Message}
	e := &fault.Error{Kind: fault.Server, Op: "rcpt to", Err: fmt.Errorf("the SMTP server %s refused every recipient: %s: %w", server, strings.Join(msgs, "; "), se)}
	if permanent {
		e.Kind = fault.Invalid
		e.Hint = "Check the addresses; nothing was sent"
	} else {
		e.Hint = "This is temporary; nothing was sent, try again later"
	}
	return e
}

// connect dials, secures the connection and says EHLO with a real name.
func (s *session) connect(ctx context.Context, from string) error {
	a := s.a
	d := net.Dialer{KeepAlive: 30 * time.Second}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout(a))
	defer cancel()
	conn, err := d.DialContext(dctx, "tcp", s.server)
	if err != nil {
		if ctx.Err() != nil {
			return smtpFail("connect", s.server, err, ctx.Err())
		}
		return &fault.Error{Kind: fault.Unavailable, Op: "connect", Err: fmt.Errorf("connect to SMTP server %s: %w", s.server, err),
			Hint: "Nothing was sent; try again later"}
	}
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	defer stop()
	name := heloName(conn, from)
	tlsCfg := smtpTLSConfig(a)
	switch a.Server.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, tlsCfg)
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return &fault.Error{Kind: fault.Unavailable, Op: "tls", Err: fmt.Errorf("TLS handshake with SMTP server %s: %w", s.server, err),
				Hint: fault.CertificateHint(a.Server.Host, err)}
		}
		s.c, s.secure = smtp.NewClient(tc), true
	case TLSStartTLS:
		tc, err := startTLS(conn, name, tlsCfg)
		if err != nil {
			conn.Close()
			return smtpFail("starttls", s.server, err, dctx.Err())
		}
		s.c, s.secure = smtp.NewClient(tc), true
	case TLSPlain:
		s.c = smtp.NewClient(conn)
	default:
		conn.Close()
		return &fault.Error{Kind: fault.Invalid, Op: "connect", Err: fmt.Errorf("unknown SMTP TLS mode %q", a.Server.TLS)}
	}
	setClientTimeouts(s.c, ctx)
	if err := s.c.Hello(name); err != nil {
		s.c.Close()
		return smtpFail("ehlo", s.server, err, dctx.Err())
	}
	return nil
}

// login authenticates when the account has SMTP credentials and the
// server offers AUTH.
func (s *session) login(ctx context.Context) error {
	sa := s.a.Auth
	if sa == nil {
		return nil
	}
	has, mechs := s.c.Extension("AUTH")
	if !has {
		return nil // a relay that needs no login; RCPT will say otherwise
	}
	if !s.secure && !(s.a.Server.TLS == TLSPlain && isLoopback(s.a.Server.Host)) {
		return &fault.Error{Kind: fault.Unsupported, Op: "login", Err: fmt.Errorf("refusing to send credentials to %s without TLS", s.server),
			Hint: "Configure smtp tls = \"implicit\" or \"starttls\"; \"plain\" is only for loopback servers"}
	}
	err := sa.AuthenticateSMTP(ctx, s.c, strings.Fields(mechs), s.a.Server.Host, s.a.Server.Port)
	if err == nil {
		return nil
	}
	var me *fault.Error
	if ctx.Err() != nil || errors.As(err, &me) {
		return smtpFail("login", s.server, err, ctx.Err())
	}
	msg := err.Error()
	if code, enh, text, ok := Reply(err); ok {
		msg = replyText(code, enh, text)
		if code/100 == 4 {
			return &fault.Error{Kind: fault.Unavailable, Op: "login", Err: fmt.Errorf("the SMTP server %s could not log in %s now: %s: %w", s.server, s.a.Email, msg, err),
				Hint: "This is temporary; try again later"}
		}
	}
	e := &fault.Error{Kind: fault.Auth, Op: "login", Err: fmt.Errorf("the SMTP server %s refused the login for %s: %s", s.server, s.a.Email, msg),
		Hint: "Ask the user to check the account's password or app password (or run `mailmcp auth login` for OAuth)"}
	if errors.Is(err, auth.ErrRetryAuth) {
		return &retryAuth{e}
	}
	return e
}

// setClientTimeouts makes go-smtp's per-command deadlines follow ctx.
func setClientTimeouts(c *smtp.Client, ctx context.Context) {
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		c.CommandTimeout, c.SubmissionTimeout = left, left
	}
}

func dialTimeout(a *Account) time.Duration {
	if a.DialTimeout > 0 {
		return a.DialTimeout
	}
	return 15 * time.Second
}

// smtpTLSConfig is the account's TLS configuration for the SMTP host.
func smtpTLSConfig(a *Account) *tls.Config {
	if a.TLS == nil {
		return &tls.Config{ServerName: a.Server.Host, MinVersion: tls.VersionTLS12}
	}
	c := a.TLS.Clone()
	c.ServerName = a.Server.Host
	return c
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// heloName is the name for EHLO (RFC 5321 4.1.1.1): this machine's host
// name when it is fully qualified, else the sender's domain, else an
// address literal of the local end of conn — never "localhost" to a remote
// server (Postfix's reject_non_fqdn_helo_hostname and many spam filters
// reject it).
func heloName(conn net.Conn, from string) string {
	if h, err := osHostname(); err == nil && strings.Contains(h, ".") && !strings.HasPrefix(strings.ToLower(h), "localhost") && validHelo(h) {
		return h
	}
	if i := strings.LastIndexByte(from, '@'); i >= 0 && validHelo(from[i+1:]) && strings.Contains(from[i+1:], ".") {
		return from[i+1:]
	}
	if ta, ok := conn.LocalAddr().(*net.TCPAddr); ok {
		if ta.IP.To4() != nil {
			return "[" + ta.IP.String() + "]"
		}
		return "[IPv6:" + ta.IP.String() + "]"
	}
	return "[127.0.0.1]"
}

func validHelo(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
