package imapconn

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/auth"
)

// TLS modes, as in the configuration.
const (
	TLSImplicit = "implicit"
	TLSStartTLS = "starttls"
	TLSPlain    = "plain"
)

// Endpoint is a server to connect to.
type Endpoint struct {
	Host string
	Port int
	TLS  string
}

// Address is host:port.
func (e Endpoint) Address() string { return fmt.Sprintf("%s:%d", e.Host, e.Port) }

// Authenticator logs an IMAP client in (auth.PasswordLogin and
// auth.OAuthLogin implement it). It must not log or return secrets.
type Authenticator interface {
	AuthenticateIMAP(ctx context.Context, c *imapclient.Client) error
}

// PasswordLogin is auth.PasswordLogin under the name it had when the
// logins lived here; tests across the tree still use it. New code names
// auth.PasswordLogin.
type PasswordLogin = auth.PasswordLogin

// Account is what the engine needs to reach one mailbox.
type Account struct {
	ID       string
	Email    string
	Provider string
	IMAP     Endpoint
	// SMTP is the submission server (internal/submit sends through it).
	SMTP Endpoint
	// TLS is the client TLS configuration (RootCAs with any extra CA).
	TLS *tls.Config
	// Auth logs connections in.
	Auth Authenticator
	// MaxConns bounds command connections (default 3).
	MaxConns int
	// ReadOnly accounts never run write operations.
	ReadOnly bool

	// Tunables; zero means the default.
	DialTimeout    time.Duration // 15 s
	CommandTimeout time.Duration // 30 s, applied when the caller set no deadline
	HealthAfter    time.Duration // NOOP an idle connection after this long (30 s)
	IdleTimeout    time.Duration // close idle connections after this long (5 min)
	MaxLifetime    time.Duration // recycle connections after this long (30 min)
}

func (a *Account) withDefaults() {
	if a.MaxConns <= 0 {
		a.MaxConns = 3
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&a.DialTimeout, 15*time.Second)
	def(&a.CommandTimeout, 30*time.Second)
	def(&a.HealthAfter, 30*time.Second)
	def(&a.IdleTimeout, 5*time.Minute)
	def(&a.MaxLifetime, 30*time.Minute)
}

// TLSConfig builds a client TLS configuration for host, trusting the system
// roots plus caFile when given. Verification is never turned off.
func TLSConfig(host, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", caFile)
	}
	cfg.RootCAs = pool
	return cfg, nil
}
