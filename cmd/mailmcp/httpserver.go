package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/metrics"
)

// httpFlags configure serve --http.
type httpFlags struct {
	tokenFile   string
	tlsCert     string
	tlsKey      string
	allowOrigin stringList
	insecure    bool
	behindProxy bool
	maxBody     int64
	maxSessions int
	sessionIdle time.Duration
}

func (h *httpFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.tokenFile, "token-file", "", "HTTP: file of accepted bearer tokens, one per line (default $"+envHTTPTokenFile+"; or one token in $"+envHTTPToken+")")
	fs.StringVar(&h.tlsCert, "tls-cert", "", "HTTP: serve HTTPS with this PEM certificate (chain) file")
	fs.StringVar(&h.tlsKey, "tls-key", "", "HTTP: the PEM private key of --tls-cert")
	fs.Var(&h.allowOrigin, "allow-origin", "HTTP: also accept browser requests from this origin, e.g. https://app.example.com (repeatable; loopback origins are always accepted)")
	fs.BoolVar(&h.behindProxy, "behind-proxy", false, "HTTP: a reverse proxy terminates TLS: accept plain HTTP on a non-loopback address (a token is still required)")
	fs.BoolVar(&h.insecure, "insecure", false, "HTTP: accept a non-loopback address without TLS and without a token (dangerous: anyone who can reach it can read and send this mail)")
	fs.Int64Var(&h.maxBody, "max-body", 4<<20, "HTTP: largest request body in bytes")
	fs.IntVar(&h.maxSessions, "max-sessions", 64, "HTTP: most MCP sessions open at once (0: no limit)")
	fs.DurationVar(&h.sessionIdle, "session-idle", 30*time.Minute, "HTTP: end MCP sessions idle for this long")
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// httpFrontend is the HTTP side of serve --http: routes, guards and the
// MCP transports.
type httpFrontend struct {
	handler    http.Handler
	tokens     *tokenSet
	tls        bool
	tlsConfig  *tls.Config
	streamable *server.StreamableHTTPServer
	sse        *server.SSEServer
	log        *slog.Logger
}

// checkExposure refuses a listener that others could reach unless it is
// protected (token and TLS) or the operator said otherwise explicitly.
func checkExposure(addr string, h httpFlags, auth, tls bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usageError{fmt.Errorf("--http %q: want HOST:PORT, e.g. 127.0.0.1:8025", addr)}
	}
	if config.IsLoopback(host) || h.insecure {
		return nil
	}
	if !auth {
		return usageError{fmt.Errorf("--http %s is not a loopback address and no token is configured: anyone who could reach it could read and send this mail. "+
			"Put tokens in a file (one per line, e.g. 'openssl rand -hex 32') and set %s or --token-file; or listen on 127.0.0.1; or pass --insecure", addr, envHTTPTokenFile)}
	}
	if !tls && !h.behindProxy {
		return usageError{fmt.Errorf("--http %s is not a loopback address and TLS is off: the bearer token would cross the network in clear text. "+
			"Give --tls-cert and --tls-key, or --behind-proxy when a reverse proxy terminates TLS, or --insecure", addr)}
	}
	return nil
}

func newHTTPFrontend(s *server.MCPServer, f serveFlags, eng *engine, log *slog.Logger, getenv func(string) string) (*httpFrontend, error) {
	hl := log.With("component", "http")
	tokens, err := loadTokens(f.http.tokenFile, getenv, hl)
	if err != nil {
		return nil, err
	}
	if (f.http.tlsCert == "") != (f.http.tlsKey == "") {
		return nil, usageError{fmt.Errorf("--tls-cert and --tls-key go together")}
	}
	fe := &httpFrontend{tokens: tokens, tls: f.http.tlsCert != "", log: hl}
	if err := checkExposure(f.httpAddr, f.http, tokens.enabled(), fe.tls); err != nil {
		return nil, err
	}
	if fe.tls {
		cert, err := tls.LoadX509KeyPair(f.http.tlsCert, f.http.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		fe.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if !tokens.enabled() {
		hl.Warn("HTTP authentication is off: any local process can use this mail; set " + envHTTPTokenFile + " to require a bearer token")
	}
	guard, err := newOriginGuard(f.http.allowOrigin)
	if err != nil {
		return nil, usageError{err}
	}
	sessions := newSessionTable(f.http.maxSessions)
	fe.streamable = server.NewStreamableHTTPServer(s,
		server.WithEndpointPath("/mcp"),
		server.WithSessionIdManager(sessions),
		server.WithSessionIdleTTL(f.http.sessionIdle),
		server.WithStreamableHTTPLogger(hl),
	)
	fe.sse = server.NewSSEServer(s, server.WithSSEEndpoint("/sse"), server.WithMessageEndpoint("/message"))
	publishPoolStats(eng.mail)
	ready := newReadiness(eng.mail, eng.cfg.StateDir, hl)

	mux := http.NewServeMux()
	route := func(path string, h http.Handler) { mux.Handle(path, accessLog(hl, path, h)) }
	protect := func(h http.Handler) http.Handler {
		return guard.wrap(hl, tokens.requireToken(hl, limitBody(f.http.maxBody, h)))
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

// server is the http.Server for the frontend. Write timeouts stay off:
// SSE streams and long tool calls (watch_inbox) hold responses open.
func (fe *httpFrontend) server() *http.Server {
	return &http.Server{
		Handler:           fe.handler,
		TLSConfig:         fe.tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(fe.log.Handler(), slog.LevelWarn),
	}
}

// close ends the MCP transports' sessions and sweepers.
func (fe *httpFrontend) close(ctx context.Context) {
	_ = fe.sse.Shutdown(ctx)
	_ = fe.streamable.Shutdown(ctx)
}
