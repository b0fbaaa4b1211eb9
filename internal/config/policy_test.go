package config

import (
	"errors"
	"strings"
	"testing"
)

func TestSendPolicySettings(t *testing.T) {
	p := writeFile(t, `
[[accounts]]
id = "a"
email = "a@example.org"
provider = "fastmail"
password_env = "X"

[[accounts]]
id = "b"
email = "b@example.org"
provider = "fastmail"
password_env = "X"
send_policy = "allowlist"
send_allowlist = ["example.org", "*.partner.example", "pat@elsewhere.example"]
max_sends_per_hour = 0
max_new_recipients_per_day = 5
`)
	cfg, err := Load(Options{Path: p, Env: envOf(nil)})
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Account("a"), cfg.Account("b")
	if a.SendPolicy != "confirm" {
		t.Errorf("default send policy %q, want confirm", a.SendPolicy)
	}
	if h, d, n := a.SendCaps(); h != DefaultSendsPerHour || d != DefaultSendsPerDay || n != DefaultNewRecipientsPerDay {
		t.Errorf("default caps %d %d %d", h, d, n)
	}
	if h, d, n := b.SendCaps(); h != 0 || d != DefaultSendsPerDay || n != 5 {
		t.Errorf("explicit caps %d %d %d (0 must stay 0: no limit)", h, d, n)
	}

	bad := writeFile(t, `
[[accounts]]
id = "a"
email = "a@example.org"
provider = "fastmail"
password_env = "X"
send_policy = "yolo"

[[accounts]]
id = "b"
email = "b@example.org"
provider = "fastmail"
password_env = "X"
send_policy = "allowlist"
max_sends_per_day = -1

[[accounts]]
id = "c"
email = "c@example.org"
provider = "fastmail"
password_env = "X"
send_allowlist = ["@"]
`)
	_, err = Load(Options{Path: bad, Env: envOf(nil)})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want problems, got %v", err)
	}
	text := err.Error()
	for _, want := range []string{
		"accounts[0].send_policy", "yolo", "allowlist, autonomous",
		"accounts[1].send_allowlist", "allow_known_correspondents",
		"accounts[1].max_sends_per_day",
		"accounts[2].send_allowlist",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("problems do not mention %q:\n%s", want, text)
		}
	}
}

func TestHTTPSettingsValidated(t *testing.T) {
	p := writeFile(t, `
[http]
tls_cert = "/nonexistent/cert.pem"
max_sessions = -1
session_idle = "soon"
max_body_bytes = 2048
`)
	_, err := Load(Options{Path: p, Env: envOf(nil)})
	if err == nil {
		t.Fatal("bad [http] settings accepted")
	}
	for _, want := range []string{"http.tls_cert", "tls_key go together", "cannot read", "http.max_sessions", "http.session_idle"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("problems do not mention %q:\n%v", want, err)
		}
	}
	good := writeFile(t, "[http]\nsession_idle = \"2h\"\nallow_origins = [\"https://app.example\"]\n")
	cfg, err := Load(Options{Path: good, Env: envOf(nil)})
	if err != nil || cfg.HTTP.SessionIdle.Std().Hours() != 2 {
		t.Fatalf("good [http]: %v %+v", err, cfg.HTTP)
	}
}
