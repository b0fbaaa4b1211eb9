package config

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/mailmcp/mailmcp/internal/sendrule"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ValidID reports whether s may be an account id or a webhook name: 1-32
// lowercase letters, digits, '-' or '_', starting with a letter or digit.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// validate checks the filled-in config. Accounts after fileAccounts came from
// the environment and are reported under variable names.
func validate(cfg *Config, path string, loc *locator, fileAccounts int) []Problem {
	var probs []Problem
	add := func(key, format string, args ...any) {
		probs = append(probs, Problem{File: path, Line: loc.line(key), Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, cfg.LogLevel) {
		add("log_level", "%q is not a log level: use debug, info, warn or error", cfg.LogLevel)
	}
	switch cfg.StateBackend {
	case StateFile:
	case StatePostgres:
		if cfg.PostgresURL == "" {
			add("postgres_url", "state_backend is postgres but no database is given: set postgres_url or MAILMCP_POSTGRES_URL (postgres://user@host/db)")
		} else if !strings.HasPrefix(cfg.PostgresURL, "postgres://") && !strings.HasPrefix(cfg.PostgresURL, "postgresql://") {
			// Never echo the value: it may carry a password.
			add("postgres_url", "postgres_url must be a URL starting with postgres:// or postgresql://")
		}
	default:
		add("state_backend", "%q is not a state backend: use file (the default) or postgres", cfg.StateBackend)
	}
	seen := map[string]int{}
	for i := range cfg.Accounts {
		a := &cfg.Accounts[i]
		key := func(k string) string { return fmt.Sprintf("accounts[%d].%s", i, k) }
		addA := add
		if i >= fileAccounts { // the environment account
			key = envKey
			addA = func(k, format string, args ...any) {
				probs = append(probs, Problem{Key: k, Msg: fmt.Sprintf(format, args...)})
			}
		}
		validateAccount(a, key, addA)
		validateWatch(a, key, addA)
		if j, dup := seen[a.ID]; dup {
			addA(key("id"), "account id %q is already used by account %d; ids must be unique", a.ID, j)
		}
		seen[a.ID] = i
	}
	validateWebhooks(cfg, add)
	validateHTTP(cfg.HTTP, add)
	return probs
}

// envKey names the environment variable behind an account field.
func envKey(k string) string {
	switch k {
	case "id":
		return "MAILMCP_ACCOUNT_ID"
	case "password_env":
		return "MAILMCP_PASSWORD"
	}
	return "MAILMCP_" + strings.ToUpper(strings.ReplaceAll(k, ".", "_"))
}

func validateAccount(a *Account, key func(string) string, add func(string, string, ...any)) {
	if !idPattern.MatchString(a.ID) {
		add(key("id"), "%q is not a valid account id: use 1-32 lowercase letters, digits, '-' or '_'", a.ID)
	}
	if a.Email == "" {
		add(key("email"), "missing: every account needs its email address")
	} else if addr, err := mail.ParseAddress(a.Email); err != nil || addr.Address != a.Email {
		add(key("email"), "%q is not a plain email address (like me@example.com)", a.Email)
	}
	if !a.Provider.Valid() {
		add(key("provider"), "unknown provider %q: use one of %s", a.Provider, strings.Join(ProviderNames(), ", "))
	}
	switch a.Auth {
	case AuthPassword:
		n := 0
		for _, s := range []string{a.PasswordEnv, a.PasswordFile, a.PasswordCommand} {
			if s != "" {
				n++
			}
		}
		if n == 0 {
			add(key("password_env"), "no password source: set one of password_env, password_file or password_command (app passwords work too)")
		} else if n > 1 {
			add(key("password_env"), "several password sources: keep exactly one of password_env, password_file, password_command")
		}
		switch strings.ToUpper(a.AuthMechanism) {
		case "", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1", "CRAM-MD5", "PLAIN", "LOGIN":
		case "APOP", "USER":
			if a.Protocol != ProtocolPOP3 {
				add(key("auth_mechanism"), "%s is a POP3 login: it applies only to protocol = \"pop3\" accounts", strings.ToUpper(a.AuthMechanism))
			}
		default:
			add(key("auth_mechanism"), "%q is not a password mechanism mailmcp speaks: use SCRAM-SHA-256(-PLUS), SCRAM-SHA-1(-PLUS), CRAM-MD5, PLAIN or LOGIN, or leave it out to use the strongest the server offers", a.AuthMechanism)
		}
		if a.PasswordFile != "" {
			if _, err := os.Stat(a.PasswordFile); err != nil {
				add(key("password_file"), "cannot read %q: %v", a.PasswordFile, err)
			}
		}
	case AuthOAuth2:
		if a.OAuth.ClientID == "" {
			add(key("oauth.client_id"), "oauth2 needs a client id: create an OAuth app with your provider (see the README) and set oauth.client_id")
		}
		if a.Provider == ProviderGeneric && (a.OAuth.AuthURL == "" || a.OAuth.TokenURL == "") {
			add(key("oauth.auth_url"), "provider generic with oauth2 needs oauth.auth_url and oauth.token_url")
		}
	default:
		add(key("auth"), "%q is not an auth method: use password or oauth2", a.Auth)
	}
	switch a.Protocol {
	case ProtocolIMAP:
		validateServer(a.IMAP, "imap", key, add)
	case ProtocolPOP3:
		if a.POP3.Host == "" && presetFor(a.Provider).pop3.Host == "" && a.Provider != ProviderGeneric {
			add(key("protocol"), "provider %s offers no POP3: use protocol = \"imap\"", a.Provider)
		} else {
			validateServer(a.POP3, "pop3", key, add)
		}
		if a.Auth != AuthPassword {
			add(key("auth"), "POP3 accounts log in with a password (or app password); oauth2 is for IMAP accounts")
		}
		if a.POP3DeleteAfterDays < 0 || a.POP3DeleteAfterDays > 3650 {
			add(key("pop3_delete_after_days"), "%d is out of range: use 0 (keep mail on the server) to 3650 days", a.POP3DeleteAfterDays)
		}
	default:
		add(key("protocol"), "%q is not a protocol: use imap (the default) or pop3", a.Protocol)
	}
	validateServer(a.SMTP, "smtp", key, add)
	if a.CAFile != "" {
		if _, err := os.Stat(a.CAFile); err != nil {
			add(key("ca_file"), "cannot read %q: %v", a.CAFile, err)
		}
	}
	if a.MaxConnections < 1 || a.MaxConnections > 15 {
		add(key("max_connections"), "%d is out of range: use 1 to 15 (providers refuse more; Gmail allows about 15 in total)", a.MaxConnections)
	}
	if a.InlineAttachmentMax < 1 || a.InlineAttachmentMax > 20<<20 {
		add(key("inline_attachment_max"), "%d is out of range: use 1 to 20971520 bytes (larger attachments are saved with save_attachment)", a.InlineAttachmentMax)
	}
	if a.MaxRecipients < 1 || a.MaxRecipients > 1000 {
		add(key("max_recipients"), "%d is out of range: use 1 to 1000", a.MaxRecipients)
	}
	if a.MaxMessageBytes < 1024 || a.MaxMessageBytes > 150<<20 {
		add(key("max_message_bytes"), "%d is out of range: use 1024 to 157286400 bytes", a.MaxMessageBytes)
	}
	if a.IndexMaxBytes < 1<<20 {
		add(key("index_max_bytes"), "%d is too small: use at least 1048576 bytes", a.IndexMaxBytes)
	}
	for _, f := range a.IndexFolders {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, "\r\n") {
			add(key("index_folders"), "%q is not a folder name", f)
		}
	}
	// The send policy is parsed here, once; wiring reads a.SendRules().
	if m, err := sendrule.ParseMode(a.SendPolicy); err != nil {
		add(key("send_policy"), "%v", err)
	} else {
		a.sendMode = m
		if m == sendrule.Allowlist && len(a.SendAllowlist) == 0 && !a.AllowKnownCorrespondents {
			add(key("send_allowlist"), "send_policy = \"allowlist\" needs send_allowlist entries (addresses, domains, *.domains) or allow_known_correspondents = true")
		}
	}
	if l, err := sendrule.NewAllowList(a.SendAllowlist); err != nil {
		add(key("send_allowlist"), "%v", err)
	} else {
		a.sendAllow = l
	}
	for _, c := range []struct {
		name string
		v    *int
	}{{"max_sends_per_hour", a.MaxSendsPerHour}, {"max_sends_per_day", a.MaxSendsPerDay}, {"max_new_recipients_per_day", a.MaxNewRecipientsPerDay}} {
		if c.v != nil && (*c.v < 0 || *c.v > 100000) {
			add(key(c.name), "%d is out of range: use 0 (no limit) to 100000", *c.v)
		}
	}
	for _, d := range []struct{ name, path string }{{"download_dir", a.DownloadDir}, {"attachment_dir", a.AttachmentDir}} {
		if d.path != "" && !filepath.IsAbs(d.path) {
			add(key(d.name), "%q must be an absolute path (or start with ~/)", d.path)
		}
	}
}

func validateServer(s Server, name string, key func(string) string, add func(string, string, ...any)) {
	if s.Host == "" {
		add(key(name+".host"), "missing: provider generic needs %s.host (or pick a provider preset)", name)
	}
	if s.Port < 1 || s.Port > 65535 {
		add(key(name+".port"), "%d is not a port number (1-65535)", s.Port)
	}
	switch s.TLS {
	case TLSImplicit, TLSStartTLS:
	case TLSPlain:
		if s.Host != "" && !IsLoopback(s.Host) {
			add(key(name+".tls"), "tls = \"plain\" would send your password unencrypted to %s; it is allowed only to loopback hosts: use implicit or starttls", s.Host)
		}
	default:
		add(key(name+".tls"), "%q is not a TLS mode: use implicit, starttls or plain (loopback only)", s.TLS)
	}
}

// IsLoopback reports whether host is localhost or a loopback IP.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
