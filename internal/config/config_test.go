package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/sendrule"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadPresetsAndDefaults(t *testing.T) {
	p := writeFile(t, `
state_dir = "/tmp/state"
[[accounts]]
id = "personal"
email = "me@gmail.com"
provider = "gmail"
password_env = "GMAIL_APP_PASSWORD"

[[accounts]]
id = "self"
email = "me@example.org"
password_command = "pass show mail"
imap.host = "mail.example.org"
imap.tls = "starttls"
smtp.host = "mail.example.org"
smtp.tls = "starttls"
`)
	cfg, err := Load(Options{Path: p, Env: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Account("personal")
	if g.IMAP != (Server{"imap.gmail.com", 993, TLSImplicit}) || g.SMTP != (Server{"smtp.gmail.com", 465, TLSImplicit}) {
		t.Errorf("gmail endpoints: %+v %+v", g.IMAP, g.SMTP)
	}
	if !g.SavesSent() || g.Auth != AuthPassword || g.MaxConnections != 5 {
		t.Errorf("gmail behaviour: saves=%v auth=%s max=%d", g.SavesSent(), g.Auth, g.MaxConnections)
	}
	s := cfg.Account("self")
	if s.IMAP.Port != 143 || s.SMTP.Port != 587 || s.SavesSent() || s.Login() != "me@example.org" {
		t.Errorf("generic starttls: %+v %+v saves=%v", s.IMAP, s.SMTP, s.SavesSent())
	}
	if cfg.StateDir != "/tmp/state" || cfg.LogLevel != "info" {
		t.Errorf("globals: %+v", cfg)
	}
}

func TestProblemsCarryFileLineAndKey(t *testing.T) {
	p := writeFile(t, `log_level = "info"

[[accounts]]
id = "ok"
email = "a@example.org"
provider = "fastmail"
password_env = "X"
auth_mechanism = "DIGEST-MD5"

[[accounts]]
id = "Bad Id"
email = "not an address"
provider = "hotmale"
imap.host = "mail.example.org"
imap.tls = "plain"
smtp.host = "mail.example.org"
smtp.port = 70000
`)
	_, err := Load(Options{Path: p, Env: envOf(nil)})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := map[string]int{
		"accounts[0].auth_mechanism": 8,
		"accounts[1].id":             11,
		"accounts[1].email":          12,
		"accounts[1].provider":       13,
		"accounts[1].imap.tls":       15,
		"accounts[1].smtp.port":      17,
		"accounts[1].password_env":   10, // missing: points at the table
	}
	got := map[string]int{}
	for _, pr := range ce.Problems {
		if pr.File != p {
			t.Errorf("problem without file: %v", pr)
		}
		got[pr.Key] = pr.Line
	}
	for k, line := range want {
		if got[k] != line {
			t.Errorf("%s: line %d, want %d (all: %v)", k, got[k], line, ce.Problems)
		}
	}
	if !strings.Contains(err.Error(), "unencrypted") {
		t.Errorf("plain TLS to a remote host must explain the risk: %v", err)
	}
}

func TestUnknownKeysAreErrorsWithLines(t *testing.T) {
	p := writeFile(t, `
[[accounts]]
id = "a"
email = "a@example.org"
pasword_env = "X"
`)
	_, err := Load(Options{Path: p, Env: envOf(nil)})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	found := false
	for _, pr := range ce.Problems {
		if strings.Contains(pr.Key, "pasword_env") && pr.Line == 5 && strings.Contains(pr.Msg, "unknown") {
			found = true
		}
	}
	if !found {
		t.Errorf("unknown key not reported with line 5: %v", ce.Problems)
	}
}

func TestSyntaxErrorHasLine(t *testing.T) {
	p := writeFile(t, "[[accounts]]\nid = \"a\"\nemail = \n")
	_, err := Load(Options{Path: p, Env: envOf(nil)})
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Line != 3 {
		t.Fatalf("want a problem on line 3, got %v", err)
	}
}

func TestEnvironmentAccount(t *testing.T) {
	env := envOf(map[string]string{
		"MAILMCP_EMAIL":     "bot@example.net",
		"MAILMCP_PASSWORD":  "s3cret",
		"MAILMCP_IMAP_HOST": "127.0.0.1",
		"MAILMCP_IMAP_PORT": "1143",
		"MAILMCP_IMAP_TLS":  "plain",
		"MAILMCP_SMTP_HOST": "127.0.0.1",
		"MAILMCP_SMTP_PORT": "1587",
		"MAILMCP_SMTP_TLS":  "plain",
		"MAILMCP_STATE_DIR": "/var/lib/mailmcp",
		"MAILMCP_CONFIG":    filepath.Join(t.TempDir(), "absent.toml"),
	})
	// An explicit MAILMCP_CONFIG that does not exist is an error...
	if _, err := Load(Options{Env: env}); err == nil {
		t.Fatal("missing explicit config file must be reported")
	}
	// ...while the default path may be absent.
	env2 := func(k string) (string, bool) {
		if k == "MAILMCP_CONFIG" {
			return "", false
		}
		return env(k)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	cfg, err := Load(Options{Env: env2})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 1 {
		t.Fatalf("accounts: %+v", cfg.Accounts)
	}
	a := cfg.Accounts[0]
	if m, _, err := a.SendRules(); err != nil || m != sendrule.Confirm {
		t.Errorf("SendRules: %q, %v; want confirm", m, err)
	}
	a.sendMode, a.sendAllow = "", nil // parsed by Load, compared above
	want := Account{ID: "default", Email: "bot@example.net", Provider: "generic", Auth: AuthPassword, PasswordEnv: "MAILMCP_PASSWORD",
		MaxConnections: 3, IMAP: Server{"127.0.0.1", 1143, TLSPlain}, SMTP: Server{"127.0.0.1", 1587, TLSPlain},
		DownloadDir: "/var/lib/mailmcp/downloads/default", InlineAttachmentMax: DefaultInlineAttachmentMax,
		MaxRecipients: DefaultMaxRecipients, MaxMessageBytes: DefaultMaxMessageBytes, SendPolicy: "confirm", IndexMaxBytes: DefaultIndexMaxBytes, Protocol: ProtocolIMAP}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("env account:\n got %+v\nwant %+v", a, want)
	}
	if cfg.StateDir != "/var/lib/mailmcp" {
		t.Errorf("state dir %q", cfg.StateDir)
	}
}

func TestEnvironmentProblemsNameVariables(t *testing.T) {
	env := envOf(map[string]string{
		"MAILMCP_EMAIL":     "bot@example.net",
		"MAILMCP_IMAP_HOST": "imap.example.net",
		"MAILMCP_IMAP_PORT": "abc",
		"MAILMCP_SMTP_HOST": "smtp.example.net",
		"MAILMCP_SMTP_TLS":  "plain",
	})
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	_, err := Load(Options{Env: env})
	msg := err.Error()
	for _, k := range []string{"MAILMCP_IMAP_PORT", "MAILMCP_SMTP_TLS", "MAILMCP_PASSWORD"} {
		if !strings.Contains(msg, k) {
			t.Errorf("problem for %s not reported by name:\n%s", k, msg)
		}
	}
}

func TestDuplicateIDs(t *testing.T) {
	p := writeFile(t, `
[[accounts]]
id = "a"
email = "a@example.org"
provider = "zoho"
password_env = "X"
[[accounts]]
id = "a"
email = "b@example.org"
provider = "zoho"
password_env = "Y"
`)
	_, err := Load(Options{Path: p, Env: envOf(nil)})
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Fatalf("duplicate id not reported: %v", err)
	}
}

func TestSettingsCoverEveryTOMLKey(t *testing.T) {
	documented := map[string]bool{}
	for _, s := range Settings() {
		documented[s.Key] = true
	}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			tag := f.Tag.Get("toml")
			if tag == "-" || tag == "" {
				continue
			}
			ft := f.Type
			switch {
			case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
				walk(prefix+tag+"[].", ft.Elem())
			case ft.Kind() == reflect.Struct:
				walk(prefix+tag+".", ft)
			default:
				if !documented[prefix+tag] {
					t.Errorf("setting %s is not in Settings()", prefix+tag)
				}
			}
		}
	}
	walk("", reflect.TypeOf(Config{}))
}

// Every listed provider is a preset, in the order the settings table
// shows, and nothing else is valid.
func TestProvidersArePresets(t *testing.T) {
	if len(providers) != len(presets) {
		t.Fatalf("%d providers listed, %d presets", len(providers), len(presets))
	}
	for _, p := range providers {
		if !p.Valid() {
			t.Errorf("%s has no preset", p)
		}
	}
	for _, p := range []Provider{"", "Gmail", "hotmale"} {
		if p.Valid() {
			t.Errorf("%q is valid", p)
		}
	}
}
