package httpfront

import (
	"github.com/mailmcp/mailmcp/internal/config"
)

// FromConfig fills every setting not given on the command line (given
// reports whether a flag, by name, was set) and, for the token file, not
// in the environment, from the config file's [http] table: flags and
// environment win, the file is the default.
func (o *Options) FromConfig(c config.HTTP, given func(flag string) bool, getenv func(string) string) {
	// Environment beats the file, as for every other setting.
	if !given("token-file") && c.TokenFile != "" && getenv(EnvTokenFile) == "" {
		o.TokenFile = c.TokenFile
	}
	if !given("tls-cert") && !given("tls-key") && c.TLSCert != "" {
		o.TLSCert, o.TLSKey = c.TLSCert, c.TLSKey
	}
	if !given("allow-origin") {
		o.AllowOrigins = append(o.AllowOrigins, c.AllowOrigins...)
	}
	if !given("behind-proxy") && c.BehindProxy {
		o.BehindProxy = true
	}
	if !given("max-body") && c.MaxBodyBytes > 0 {
		o.MaxBody = c.MaxBodyBytes
	}
	if !given("max-sessions") && c.MaxSessions != nil {
		o.MaxSessions = *c.MaxSessions
	}
	if !given("session-idle") && c.SessionIdle > 0 {
		o.SessionIdle = c.SessionIdle.Std()
	}
}
