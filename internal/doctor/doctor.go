package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/submit"
)

// certWarnDays is when doctor starts warning about a certificate's expiry.
const certWarnDays = 14

// report prints one line per check, with a fix for each problem.
type report struct {
	out            io.Writer
	failed, warned int
}

func (r *report) ok(name, detail string) { fmt.Fprintf(r.out, "ok    %s: %s\n", name, detail) }

func (r *report) warn(name, detail, fix string) {
	r.warned++
	fmt.Fprintf(r.out, "warn  %s: %s\n", name, detail)
	if fix != "" {
		fmt.Fprintf(r.out, "      fix: %s\n", fix)
	}
}

func (r *report) fail(name, detail, fix string) {
	r.failed++
	fmt.Fprintf(r.out, "FAIL  %s: %s\n", name, detail)
	if fix != "" {
		fmt.Fprintf(r.out, "      fix: %s\n", fix)
	}
}

// Wiring is what doctor needs from the binary's wiring, so that every
// login it tries goes through the account exactly as serving builds it.
type Wiring struct {
	// Account builds the engine's view of a configured account.
	Account func(cfg *config.Config, a *config.Account, log *slog.Logger) (*imapconn.Account, error)
	// Password is where a password account's secret comes from.
	Password func(a *config.Account) auth.SecretSource
	// OAuthProvider maps a provider preset to its OAuth provider.
	OAuthProvider func(preset config.Provider) string
	// Tokens opens where OAuth tokens live (nil: files in the state
	// directory).
	Tokens func(cfg *config.Config, log *slog.Logger) (*auth.TokenStore, error)
}

// Options are the settings of a doctor run.
type Options struct {
	ConfigPath string
	// Account, when set, limits the account checks to this id.
	Account string
	// Timeout bounds each network check (default 15 s).
	Timeout time.Duration
	Log     *slog.Logger
	Wiring  Wiring
}

// Run checks the configuration, credentials, connectivity, TLS
// certificates, IMAP capabilities and the state directory, printing one
// line per check on out. It returns an error when a check failed.
func Run(ctx context.Context, o Options, out io.Writer) error {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	r := &report{out: out}
	cfg, err := config.Load(config.Options{Path: o.ConfigPath})
	var ce *config.Error
	switch {
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			r.fail("config", p.String(), "edit the file at that line; 'mailmcp config check' lists every problem")
		}
		return fmt.Errorf("%d check(s) failed", r.failed)
	case err != nil:
		r.fail("config", err.Error(), "check the path given with --config or MAILMCP_CONFIG")
		return fmt.Errorf("%d check(s) failed", r.failed)
	}
	src := cfg.Path
	if src == "" {
		src = "environment only (no file at " + config.DefaultPath() + ")"
	}
	r.ok("config", fmt.Sprintf("%s, %d account(s)", src, len(cfg.Accounts)))
	if len(cfg.Accounts) == 0 {
		r.fail("accounts", "no account configured", "run 'mailmcp accounts add'")
	}
	if err := store.CheckWritable(cfg.StateDir); err != nil {
		r.fail("state directory", err.Error(), "make "+cfg.StateDir+" writable by this user, or set state_dir / MAILMCP_STATE_DIR")
	} else {
		r.ok("state directory", cfg.StateDir+" is writable")
	}
	found := false
	for i := range cfg.Accounts {
		a := &cfg.Accounts[i]
		if o.Account != "" && a.ID != o.Account {
			continue
		}
		found = true
		r.account(ctx, cfg, a, o)
	}
	if o.Account != "" && !found {
		return fault.Errorf(fault.Invalid, "doctor", "no account %q (accounts: %v)", o.Account, cfg.AccountIDs())
	}
	if r.failed > 0 {
		return fmt.Errorf("%d check(s) failed, %d warning(s)", r.failed, r.warned)
	}
	fmt.Fprintf(out, "all checks passed (%d warning(s))\n", r.warned)
	return nil
}

// CheckAccount runs the account checks of Run for one account of cfg and
// reports whether all passed (warnings allowed).
func CheckAccount(ctx context.Context, cfg *config.Config, id string, o Options, out io.Writer) bool {
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	a := cfg.Account(id)
	r := &report{out: out}
	if a == nil {
		r.fail("account "+id, "not in the configuration", "")
		return false
	}
	r.account(ctx, cfg, a, o)
	return r.failed == 0
}

// account checks one account: credentials, then TCP and TLS, then the
// IMAP and SMTP logins.
func (r *report) account(ctx context.Context, cfg *config.Config, a *config.Account, o Options) {
	p := "account " + a.ID + " "
	timeout, log := o.Timeout, o.Log
	credOK := r.credentials(ctx, cfg, a, p, o.Wiring)
	tlsCfg, err := imapconn.TLSConfig(a.IMAP.Host, a.CAFile)
	if err != nil {
		r.fail(p+"tls config", err.Error(), "fix ca_file")
		return
	}
	// Both logins go through the account as serving builds it.
	var ma *imapconn.Account
	if credOK {
		if ma, err = o.Wiring.Account(cfg, a, log); err != nil {
			r.fail(p+"login", err.Error(), "")
			credOK = false
		} else {
			ma.MaxConns, ma.DialTimeout = 1, timeout
		}
	}

	if a.Protocol == config.ProtocolPOP3 {
		r.pop3(ctx, a, p, timeout, credOK, o.Wiring)
	} else {
		// IMAP: TCP and TLS first, so a login failure is not blamed on the network.
		netOK := r.tls(ctx, p+"imap", endpoint(a.IMAP), tlsCfg, timeout, imapStartTLS)
		if netOK && credOK {
			r.imapLogin(ctx, a, ma, p, timeout, log)
		}
	}
	stls := tlsCfg.Clone()
	stls.ServerName = a.SMTP.Host
	if r.tls(ctx, p+"smtp", endpoint(a.SMTP), stls, timeout, nil) && credOK {
		r.smtpLogin(ctx, a, ma, p, stls, timeout)
	}
}

// credentials checks the password source or the OAuth token.
func (r *report) credentials(ctx context.Context, cfg *config.Config, a *config.Account, p string, wr Wiring) bool {
	if a.Auth == config.AuthOAuth2 {
		open := wr.Tokens
		if open == nil {
			open = func(cfg *config.Config, log *slog.Logger) (*auth.TokenStore, error) {
				return auth.OpenTokenStore(cfg.StateDir, log)
			}
		}
		store, err := open(cfg, nil)
		if err != nil {
			r.fail(p+"oauth token", err.Error(), "make the state directory writable, or check postgres_url")
			return false
		}
		st := auth.Status(store, []auth.StatusInput{{Account: a.ID, Method: auth.MethodOAuth, Provider: wr.OAuthProvider(a.Provider)}})[0]
		if !st.LoggedIn {
			detail := strings.Join(st.Problems, "; ")
			fix := "run 'mailmcp auth login " + a.ID + "'"
			if strings.Contains(detail, "mailmcp auth login") {
				fix = "" // the problem already says it
			}
			r.fail(p+"oauth token", detail, fix)
			return false
		}
		if !st.HasRefreshToken {
			r.warn(p+"oauth token", "no refresh token: access ends when the token expires", "run 'mailmcp auth login "+a.ID+"' again (Google: the consent screen must grant offline access)")
		} else {
			r.ok(p+"oauth token", "saved, with a refresh token")
		}
		for _, pr := range st.Problems {
			r.warn(p+"oauth token", pr, "")
		}
		return true
	}
	src := wr.Password(a)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, problems, err := src.Resolve(cctx)
	if err != nil {
		r.fail(p+"password", passwordProblem(src, err), passwordFix(src))
		return false
	}
	for _, pr := range problems {
		r.warn(p+"password", pr, "")
	}
	r.ok(p+"password", "resolved from "+src.Describe())
	return true
}

// passwordProblem says why the password source did not resolve. For
// password_env it tells a variable that is set but empty from one that is
// not set at all, which are different mistakes.
func passwordProblem(src auth.SecretSource, err error) string {
	if src.Env != "" && src.File == "" && src.Command == "" {
		if v, set := os.LookupEnv(src.Env); !set {
			return "password_env names the variable " + src.Env + ", which is not set in this environment"
		} else if v == "" {
			return "password_env is set but the variable " + src.Env + " is empty"
		}
	}
	return fmt.Sprintf("%s: %v", src.Describe(), err)
}

// passwordFix says how to make the account's password source resolve,
// for the source that is configured.
func passwordFix(src auth.SecretSource) string {
	switch {
	case src.Env != "":
		return "export " + src.Env + "=<the password> in the environment mailmcp runs in (for a client or service, in its env settings)"
	case src.File != "":
		return "put the password on the first line of " + src.File + " (chmod 600), or point password_file at the right file"
	case src.Command != "":
		return "run the password_command yourself and make it print the password on its first line"
	}
	return "set one of password_env, password_file or password_command for the account"
}

// tls connects to ep and, unless it is plain, completes TLS (implicit
// or via startTLS) and checks the certificate. For SMTP STARTTLS startTLS
// is nil and go-smtp negotiates.
func (r *report) tls(ctx context.Context, name string, ep imapconn.Endpoint, tlsCfg *tls.Config, timeout time.Duration,
	startTLS func(net.Conn, *tls.Config) (tls.ConnectionState, error)) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", ep.Address())
	if err != nil {
		r.fail(name+" connect", err.Error(), "check the host and port ("+ep.Address()+"), your network and firewall")
		return false
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	connected := fmt.Sprintf("%s reachable in %s", ep.Address(), millis(time.Since(start)))
	var state tls.ConnectionState
	switch config.TLSMode(ep.TLS) {
	case config.TLSPlain:
		r.ok(name+" connect", connected+", no TLS (plain, loopback only)")
		return true
	case config.TLSImplicit:
		tc := tls.Client(conn, tlsCfg)
		if err = tc.HandshakeContext(ctx); err == nil {
			state = tc.ConnectionState()
		}
	case config.TLSStartTLS:
		if startTLS != nil {
			state, err = startTLS(conn, tlsCfg)
		} else {
			var c *smtp.Client
			if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err == nil {
				state, _ = c.TLSConnectionState()
				c.Close()
			}
		}
	}
	if err != nil {
		fix := "check that port " + fmt.Sprint(ep.Port) + " speaks " + ep.TLS + " TLS (993/465: implicit, 143/587: starttls)"
		var ue x509.UnknownAuthorityError
		var he x509.HostnameError
		var ie x509.CertificateInvalidError
		switch {
		case errors.As(err, &ue):
			fix = "the certificate is not signed by a trusted CA: for a self-hosted server set ca_file to its CA's PEM"
		case errors.As(err, &he):
			fix = "the certificate does not name " + ep.Host + ": use the host name the certificate was issued for"
		case errors.As(err, &ie):
			fix = "the certificate is expired or not yet valid: renew it on the server (or fix this machine's clock)"
		}
		r.ok(name+" connect", connected)
		r.fail(name+" tls", err.Error(), fix)
		return false
	}
	r.ok(name+" connect", connected)
	if len(state.PeerCertificates) > 0 {
		cert := state.PeerCertificates[0]
		left := time.Until(cert.NotAfter)
		detail := fmt.Sprintf("%s, certificate for %s valid until %s (%d days), issued by %s", tls.VersionName(state.Version),
			strings.Join(cert.DNSNames, ","), cert.NotAfter.Format(time.DateOnly), int(left.Hours()/24), cert.Issuer.CommonName)
		if left < certWarnDays*24*time.Hour {
			r.warn(name+" tls", detail, "the certificate expires soon: renew it on the server")
		} else {
			r.ok(name+" tls", detail)
		}
	}
	return true
}

// imapStartTLS upgrades a fresh IMAP connection with STARTTLS (RFC 9051
// section 6.2.1) through go-imap, just far enough to inspect the
// certificate, which it captures as the handshake verifies it.
func imapStartTLS(conn net.Conn, cfg *tls.Config) (tls.ConnectionState, error) {
	var state tls.ConnectionState
	cfg = cfg.Clone()
	verify := cfg.VerifyConnection
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		state = cs
		if verify != nil {
			return verify(cs)
		}
		return nil
	}
	c, err := imapclient.NewStartTLS(conn, &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		return state, fmt.Errorf("imap starttls: %w", err)
	}
	c.Close()
	return state, nil
}

// imapLogin logs in through the real engine and lists capabilities.
func (r *report) imapLogin(ctx context.Context, a *config.Account, ma *imapconn.Account, p string, timeout time.Duration, log *slog.Logger) {
	pool := imapconn.NewPool(ma, log)
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = pool.Close(cctx)
	}()
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	caps, err := pool.Capabilities(lctx)
	if err != nil {
		fix := "check the user name (" + a.Login() + ") and the password or app password"
		switch fault.KindOf(err) {
		case fault.Auth:
			if a.Auth == config.AuthOAuth2 {
				fix = "run 'mailmcp auth login " + a.ID + "'"
			} else if a.Provider == config.ProviderGmail || a.Provider == config.ProviderYahoo || a.Provider == config.ProviderICloud {
				fix = "this provider needs an app password (not your normal password), or OAuth for Gmail"
			}
		case fault.Unavailable, fault.Timeout:
			fix = "the server did not answer in time; try again or check the host"
		}
		r.fail(p+"imap login", err.Error(), fix)
		return
	}
	r.ok(p+"imap login", "logged in as "+a.Login())
	want := []string{"IDLE", "MOVE", "UIDPLUS", "SPECIAL-USE", "ESEARCH", "CONDSTORE"}
	var have, missing []string
	for _, w := range want {
		if slices.Contains(caps, w) {
			have = append(have, w)
		} else {
			missing = append(missing, w)
		}
	}
	detail := "has " + strings.Join(have, " ")
	if len(missing) > 0 {
		detail += "; lacks " + strings.Join(missing, " ")
	}
	switch {
	case !slices.Contains(caps, "MOVE") && !slices.Contains(caps, "UIDPLUS"):
		r.warn(p+"imap capabilities", detail, "the server has neither MOVE nor UIDPLUS: mailmcp refuses to move or delete mail there rather than risk expunging other messages")
	case !slices.Contains(caps, "IDLE"):
		r.warn(p+"imap capabilities", detail, "no IDLE: new mail is found by polling, a little later")
	default:
		r.ok(p+"imap capabilities", detail)
	}
}

// smtpLogin says EHLO and authenticates the way sending does, then quits
// without sending anything.
func (r *report) smtpLogin(ctx context.Context, a *config.Account, ma *imapconn.Account, p string, tlsCfg *tls.Config, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", a.SMTP.Address())
	if err != nil {
		r.fail(p+"smtp login", err.Error(), "")
		return
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	switch a.SMTP.TLS {
	case config.TLSImplicit:
		c = smtp.NewClient(tls.Client(conn, tlsCfg))
	case config.TLSStartTLS:
		if c, err = smtp.NewClientStartTLS(conn, tlsCfg); err != nil {
			r.fail(p+"smtp login", err.Error(), "")
			return
		}
	default:
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	host, _ := os.Hostname()
	if host == "" || !strings.Contains(host, ".") {
		host = "localhost"
	}
	if err := c.Hello(host); err != nil {
		r.fail(p+"smtp ehlo", err.Error(), "the server rejected EHLO; check that this is a submission port (465 or 587)")
		return
	}
	has, mechs := c.Extension("AUTH")
	sa, ok := ma.Auth.(submit.Authenticator)
	switch {
	case !has:
		r.warn(p+"smtp login", "the server offers no AUTH", "use the provider's submission server (port 465 or 587), not port 25")
	case !ok:
		r.warn(p+"smtp login", "not checked: this login method cannot authenticate to SMTP", "")
	default:
		if err := sa.AuthenticateSMTP(ctx, c, strings.Fields(mechs), a.SMTP.Host, a.SMTP.Port); err != nil {
			fix := "check the user name (" + a.Login() + ") and the password or app password"
			if a.Auth == config.AuthOAuth2 {
				fix = "run 'mailmcp auth login " + a.ID + "'"
			}
			r.fail(p+"smtp login", err.Error(), fix)
			return
		}
		r.ok(p+"smtp login", "logged in as "+a.Login()+" (AUTH "+mechs+")")
	}
	_ = c.Quit()
}

// millis renders a duration in milliseconds with one decimal, so a fast
// loopback connect reads "0.3 ms" rather than "0s".
// millis formats a connect time in whole milliseconds; on loopback that
// is often under one, which it says rather than "0 ms".
func millis(d time.Duration) string {
	if d < time.Millisecond {
		return "under 1 ms"
	}
	return strconv.FormatInt(d.Round(time.Millisecond).Milliseconds(), 10) + " ms"
}

func endpoint(s config.Server) imapconn.Endpoint {
	return imapconn.Endpoint{Host: s.Host, Port: s.Port, TLS: string(s.TLS)}
}
