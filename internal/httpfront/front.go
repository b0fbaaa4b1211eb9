package httpfront

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/metrics"
)

// Options configure the HTTP front end. The zero value of each limit
// means the default (see Defaults); Addr is the listen address, used only
// to decide whether the listener is exposed beyond loopback.
type Options struct {
	Addr         string
	TokenFile    string
	TLSCert      string
	TLSKey       string
	AllowOrigins []string
	// Insecure accepts a non-loopback address without TLS and a token.
	Insecure bool
	// BehindProxy accepts plain HTTP on a non-loopback address because a
	// reverse proxy terminates TLS (a token is still required).
	BehindProxy bool
	MaxBody     int64
	MaxSessions int
	SessionIdle time.Duration
	// Ready adds checks to /readyz beside the accounts and the state
	// directory (the shared state database of replicas, say).
	Ready []ReadyCheck
	// ReadyInfo, when set, adds what it returns to /readyz's body for
	// callers allowed the detail (for example the folder leases held).
	ReadyInfo func() map[string]any
}

// ReadyCheck is one named /readyz check; a nil error means it passes.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Defaults for Options' limits.
const (
	DefaultMaxBody     int64 = 4 << 20
	DefaultMaxSessions       = 64
	DefaultSessionIdle       = 30 * time.Minute
)

// Frontend is the HTTP side of serve --http: routes, guards and the MCP
// transports.
type Frontend struct {
	handler    http.Handler
	tokens     *tokenSet
	tls        bool
	tlsConfig  *tls.Config
	streamable *server.StreamableHTTPServer
	sse        *server.SSEServer
	log        *slog.Logger
}

// CheckExposure refuses a listener that others could reach unless it is
// protected (token and TLS) or the operator said otherwise explicitly.
func CheckExposure(o Options, auth, tls bool) error {
	addr := o.Addr
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fault.Errorf(fault.Invalid, "http", "--http %q: want HOST:PORT, e.g. 127.0.0.1:8025", addr)
	}
	if config.IsLoopback(host) || o.Insecure {
		return nil
	}
	if !auth {
		return fault.Errorf(fault.Invalid, "http", "--http %s is not a loopback address and no token is configured: anyone who could reach it could read and send this mail. "+
			"Put tokens in a file (one per line, e.g. 'openssl rand -hex 32') and set %s or --token-file; or listen on 127.0.0.1; or pass --insecure", addr, EnvTokenFile)
	}
	if !tls && !o.BehindProxy {
		return fault.Errorf(fault.Invalid, "http", "--http %s is not a loopback address and TLS is off: the bearer token would cross the network in clear text. "+
			"Give --tls-cert and --tls-key, or --behind-proxy when a reverse proxy terminates TLS, or --insecure", addr)
	}
	return nil
}

// New builds the front end for the MCP server s. mail answers /readyz and
// /metrics' pool gauges; stateDir must be writable for /readyz; getenv
// reads MAILMCP_HTTP_TOKEN(_FILE) when o.TokenFile is empty.
func New(s *server.MCPServer, o Options, mail *imapconn.Manager, stateDir string, log *slog.Logger, getenv func(string) string) (*Frontend, error) {
	o = o.withDefaults()
	hl := log.With("component", "http")
	tokens, err := loadTokens(o.TokenFile, getenv, hl)
	if err != nil {
		return nil, err
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return nil, fault.New(fault.Invalid, "http", "--tls-cert and --tls-key go together")
	}
	fe := &Frontend{tokens: tokens, tls: o.TLSCert != "", log: hl}
	if err := CheckExposure(o, tokens.enabled(), fe.tls); err != nil {
		return nil, err
	}
	if fe.tls {
		cert, err := tls.LoadX509KeyPair(o.TLSCert, o.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		fe.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if !tokens.enabled() {
		hl.Warn("HTTP authentication is off: any local process can use this mail; set " + EnvTokenFile + " to require a bearer token")
	}
	guard, err := newOriginGuard(o.AllowOrigins)
	if err != nil {
		return nil, fault.Wrap(fault.Invalid, "http", err)
	}
	sessions := newSessionTable(o.MaxSessions)
	fe.streamable = server.NewStreamableHTTPServer(s,
		server.WithEndpointPath("/mcp"),
		server.WithSessionIdManager(sessions),
		server.WithSessionIdleTTL(o.SessionIdle),
		server.WithStreamableHTTPLogger(hl),
	)
	fe.sse = server.NewSSEServer(s, server.WithSSEEndpoint("/sse"), server.WithMessageEndpoint("/message"))
	publishPoolStats(mail)
	ready := newReadiness(mail, stateDir, hl)
	ready.extra, ready.info = o.Ready, o.ReadyInfo

	mux := http.NewServeMux()
	route := func(path string, h http.Handler) { mux.Handle(path, accessLog(hl, path, h)) }
	protect := func(h http.Handler) http.Handler {
		return guard.wrap(hl, tokens.requireToken(hl, limitBody(o.MaxBody, h)))
	}
	mcpH := protect(sessions.limitNewSessions(hl, fe.streamable))
	sseH := protect(sessions.limitNewSessions(hl, fe.sse))
	route("/mcp", mcpH)
	route("/sse", sseH)
	route("/message", sseH)
	route("/metrics", guard.wrap(hl, tokens.requireToken(hl, metrics.Handler())))
	route("/healthz", http.HandlerFunc(healthz))
	route("/readyz", guard.wrap(hl, ready.handler(tokens)))
	mux.Handle("/", http.NotFoundHandler())
	fe.handler = mux
	return fe, nil
}

// Handler is the front end's routes.
func (fe *Frontend) Handler() http.Handler { return fe.handler }

// TLS reports whether the front end serves HTTPS (Server's TLSConfig is set).
func (fe *Frontend) TLS() bool { return fe.tls }

// AuthEnabled reports whether requests must carry a bearer token.
func (fe *Frontend) AuthEnabled() bool { return fe.tokens.enabled() }

// Server is the http.Server for the frontend. Write timeouts stay off:
// SSE streams and long tool calls (watch_inbox) hold responses open.
func (fe *Frontend) Server() *http.Server {
	return &http.Server{
		Handler:           fe.handler,
		TLSConfig:         fe.tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(fe.log.Handler(), slog.LevelWarn),
	}
}

// Close ends the MCP transports' sessions and sweepers.
func (fe *Frontend) Close(ctx context.Context) {
	_ = fe.sse.Shutdown(ctx)
	_ = fe.streamable.Shutdown(ctx)
}

func (o Options) withDefaults() Options {
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.SessionIdle <= 0 {
		o.SessionIdle = DefaultSessionIdle
	}
	return o
}
