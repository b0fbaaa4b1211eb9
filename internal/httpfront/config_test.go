package httpfront

import (
	"slices"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
)

func TestOptionsFromConfig(t *testing.T) {
	seven := 7
	c := config.HTTP{TokenFile: "/etc/mailmcp/tokens", TLSCert: "c.pem", TLSKey: "k.pem", AllowOrigins: []string{"https://app.example"},
		BehindProxy: true, MaxBodyBytes: 1024, MaxSessions: &seven, SessionIdle: config.Duration(2 * time.Hour)}
	noEnv := func(string) string { return "" }
	apply := func(o Options, given []string, getenv func(string) string) Options {
		o.FromConfig(c, func(f string) bool { return slices.Contains(given, f) }, getenv)
		return o
	}
	defaults := Options{MaxBody: DefaultMaxBody, MaxSessions: DefaultMaxSessions, SessionIdle: DefaultSessionIdle}
	o := apply(defaults, nil, noEnv)
	if o.TokenFile != c.TokenFile || o.TLSCert != "c.pem" || o.TLSKey != "k.pem" || !slices.Equal(o.AllowOrigins, c.AllowOrigins) ||
		!o.BehindProxy || o.MaxBody != 1024 || o.MaxSessions != 7 || o.SessionIdle != 2*time.Hour {
		t.Errorf("config not applied: %+v", o)
	}
	flags := Options{TokenFile: "/run/t", MaxSessions: 0, TLSCert: "x.pem", TLSKey: "y.pem", AllowOrigins: []string{"https://other.example"}}
	o = apply(flags, []string{"token-file", "max-sessions", "tls-cert", "tls-key", "allow-origin"}, noEnv)
	if o.TokenFile != "/run/t" || o.MaxSessions != 0 || o.TLSCert != "x.pem" || o.TLSKey != "y.pem" || !slices.Equal(o.AllowOrigins, []string{"https://other.example"}) {
		t.Errorf("flags must win over the file: %+v", o)
	}
	env := func(k string) string {
		if k == EnvTokenFile {
			return "/from/env"
		}
		return ""
	}
	if o := apply(defaults, nil, env); o.TokenFile != "" {
		t.Errorf("MAILMCP_HTTP_TOKEN_FILE must beat the file's token_file, got %q", o.TokenFile)
	} else if o.MaxBody != 1024 {
		t.Errorf("defaults still come from the file")
	}
	c = config.HTTP{}
	if o := apply(defaults, nil, noEnv); o.MaxBody != DefaultMaxBody || o.MaxSessions != DefaultMaxSessions || o.SessionIdle != DefaultSessionIdle || o.TokenFile != "" {
		t.Errorf("unset keys must keep the flag defaults: %+v", o)
	}
}
