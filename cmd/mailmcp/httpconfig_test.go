package main

import (
	"flag"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
)

func TestHTTPSettingsFromConfig(t *testing.T) {
	t.Setenv(envHTTPTokenFile, "")
	seven := 7
	c := config.HTTP{TokenFile: "/etc/mailmcp/tokens", TLSCert: "c.pem", TLSKey: "k.pem", AllowOrigins: []string{"https://app.example"},
		BehindProxy: true, MaxBodyBytes: 1024, MaxSessions: &seven, SessionIdle: config.Duration(2 * time.Hour)}
	parse := func(args ...string) httpFlags {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var f serveFlags
		f.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		f.http.fromConfig(c, fs)
		return f.http
	}
	h := parse()
	if h.tokenFile != c.TokenFile || h.tlsCert != "c.pem" || h.tlsKey != "k.pem" || !slices.Equal(h.allowOrigin, c.AllowOrigins) ||
		!h.behindProxy || h.maxBody != 1024 || h.maxSessions != 7 || h.sessionIdle != 2*time.Hour {
		t.Errorf("config not applied: %+v", h)
	}
	h = parse("--token-file", "/run/t", "--max-sessions", "0", "--tls-cert", "x.pem", "--tls-key", "y.pem", "--allow-origin", "https://other.example")
	if h.tokenFile != "/run/t" || h.maxSessions != 0 || h.tlsCert != "x.pem" || h.tlsKey != "y.pem" || !slices.Equal(h.allowOrigin, []string{"https://other.example"}) {
		t.Errorf("flags must win over the file: %+v", h)
	}
	t.Setenv(envHTTPTokenFile, "/from/env")
	if h := parse(); h.tokenFile != "" {
		t.Errorf("MAILMCP_HTTP_TOKEN_FILE must beat the file's token_file, got %q", h.tokenFile)
	}
	if h := parse(); h.maxBody != 1024 {
		t.Errorf("defaults still come from the file")
	}
	// Unset keys keep the flag defaults.
	c = config.HTTP{}
	if h := parse(); h.maxBody != 4<<20 || h.maxSessions != 64 || h.sessionIdle != 30*time.Minute {
		t.Errorf("defaults changed: %+v", h)
	}
}
