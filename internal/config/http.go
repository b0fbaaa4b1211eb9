package config

import (
	"os"
	"time"
)

// HTTP configures serve --http; each key has a flag of the same meaning,
// and a flag given on the command line wins.
type HTTP struct {
	// TokenFile lists the accepted bearer tokens, one per line.
	TokenFile string `toml:"token_file"`
	// TLSCert and TLSKey make the daemon serve HTTPS.
	TLSCert string `toml:"tls_cert"`
	TLSKey  string `toml:"tls_key"`
	// AllowOrigins are browser origins accepted besides loopback ones.
	AllowOrigins []string `toml:"allow_origins"`
	// BehindProxy accepts plain HTTP on a non-loopback address because a
	// reverse proxy terminates TLS (a token is still required).
	BehindProxy bool `toml:"behind_proxy"`
	// MaxBodyBytes bounds one request body (0: the default).
	MaxBodyBytes int64 `toml:"max_body_bytes"`
	// MaxSessions bounds open MCP sessions (nil: the default; 0: no limit).
	MaxSessions *int `toml:"max_sessions"`
	// SessionIdle ends MCP sessions idle this long ("30m"; 0: default).
	SessionIdle Duration `toml:"session_idle"`
}

func validateHTTP(h HTTP, add func(key, format string, args ...any)) {
	if (h.TLSCert == "") != (h.TLSKey == "") {
		add("http.tls_cert", "tls_cert and tls_key go together: set both for HTTPS, or neither")
	}
	for _, f := range []struct{ key, path string }{{"http.token_file", h.TokenFile}, {"http.tls_cert", h.TLSCert}, {"http.tls_key", h.TLSKey}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				add(f.key, "cannot read %q: %v", f.path, err)
			}
		}
	}
	if h.MaxBodyBytes < 0 || h.MaxBodyBytes > 1<<30 {
		add("http.max_body_bytes", "%d is out of range: use 1 to 1073741824 bytes", h.MaxBodyBytes)
	}
	if h.MaxSessions != nil && (*h.MaxSessions < 0 || *h.MaxSessions > 100000) {
		add("http.max_sessions", "%d is out of range: use 0 (no limit) to 100000", *h.MaxSessions)
	}
	if d := h.SessionIdle.Std(); d != 0 && d < time.Minute {
		add("http.session_idle", "%s is too short: use at least a minute, like \"30m\" or \"2h\"", d)
	}
}
