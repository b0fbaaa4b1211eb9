package main

import (
	"flag"
	"os"

	"github.com/mailmcp/mailmcp/internal/config"
)

// fromConfig fills every HTTP setting not given on the command line (or,
// for the token file, in the environment) from the config file's [http]
// table: flags and environment win, the file is the default.
func (h *httpFlags) fromConfig(c config.HTTP, fs *flag.FlagSet) {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// Environment beats the file, as for every other setting.
	if !given["token-file"] && c.TokenFile != "" && os.Getenv(envHTTPTokenFile) == "" {
		h.tokenFile = c.TokenFile
	}
	if !given["tls-cert"] && !given["tls-key"] && c.TLSCert != "" {
		h.tlsCert, h.tlsKey = c.TLSCert, c.TLSKey
	}
	if !given["allow-origin"] {
		h.allowOrigin = append(h.allowOrigin, c.AllowOrigins...)
	}
	if !given["behind-proxy"] && c.BehindProxy {
		h.behindProxy = true
	}
	if !given["max-body"] && c.MaxBodyBytes > 0 {
		h.maxBody = c.MaxBodyBytes
	}
	if !given["max-sessions"] && c.MaxSessions != nil {
		h.maxSessions = *c.MaxSessions
	}
	if !given["session-idle"] && c.SessionIdle > 0 {
		h.sessionIdle = c.SessionIdle.Std()
	}
}
