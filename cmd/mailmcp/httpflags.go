package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"

	"github.com/mark3labs/mcp-go/server"
	"github.com/spf13/pflag"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/httpfront"
	"github.com/mailmcp/mailmcp/internal/store"
)

// httpFlags are serve --http's flags: the front end's options.
type httpFlags struct{ httpfront.Options }

func (h *httpFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&h.TokenFile, "token-file", "", "HTTP: `FILE` of accepted bearer tokens, one per line (default $"+httpfront.EnvTokenFile+"; or one token in $"+httpfront.EnvToken+")")
	fs.StringVar(&h.TLSCert, "tls-cert", "", "HTTP: serve HTTPS with this PEM certificate (chain) `FILE`")
	fs.StringVar(&h.TLSKey, "tls-key", "", "HTTP: the PEM private key `FILE` of --tls-cert")
	fs.Var((*stringList)(&h.AllowOrigins), "allow-origin", "HTTP: also accept browser requests from this origin, e.g. https://app.example.com (repeatable; loopback origins are always accepted)")
	fs.BoolVar(&h.BehindProxy, "behind-proxy", false, "HTTP: a reverse proxy terminates TLS: accept plain HTTP on a non-loopback address (a token is still required)")
	fs.BoolVar(&h.Insecure, "insecure", false, "HTTP: accept a non-loopback address without TLS and without a token (dangerous: anyone who can reach it can read and send this mail)")
	fs.Int64Var(&h.MaxBody, "max-body", httpfront.DefaultMaxBody, "HTTP: largest request body in bytes")
	fs.IntVar(&h.MaxSessions, "max-sessions", httpfront.DefaultMaxSessions, "HTTP: most MCP sessions open at once (0: no limit)")
	fs.DurationVar(&h.SessionIdle, "session-idle", httpfront.DefaultSessionIdle, "HTTP: end MCP sessions idle for this long")
}

// fromConfig fills the settings not given as flags from the config file.
func (h *httpFlags) fromConfig(c config.HTTP, fs *pflag.FlagSet) {
	h.FromConfig(c, fs.Changed, os.Getenv)
}

// newHTTPFrontend builds the HTTP front end of serve --http for s.
func newHTTPFrontend(s *server.MCPServer, f serveFlags, eng *engine, log *slog.Logger, getenv func(string) string) (*httpfront.Frontend, error) {
	o := f.http.Options
	o.Addr = f.httpAddr
	if eng.cfg.StateBackend == config.StatePostgres {
		o.Ready = append(o.Ready, httpfront.ReadyCheck{Name: "state_db", Check: func(ctx context.Context) error {
			st := eng.stateStore(log)
			if st == nil {
				return errors.New("the PostgreSQL state database could not be opened at start (see the log)")
			}
			return st.View(ctx, func(store.Tx) error { return nil })
		}})
		o.ReadyInfo = func() map[string]any {
			held := []string{}
			if eng.leases != nil {
				for _, n := range eng.leases.Held() {
					held = append(held, strings.ReplaceAll(n, leaseSep, "/"))
				}
			}
			return map[string]any{"leases": held}
		}
	}
	return httpfront.New(s, o, eng.mail, eng.cfg.StateDir, log, getenv)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Type() string   { return "origin" }
func (l *stringList) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}
