package setup

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"

	"github.com/mailmcp/mailmcp/internal/config"
)

func TestJSON5(t *testing.T) {
	v, err := parseJSON5([]byte("\ufeff{a: 1, 'b': 'it\\'s', c: [+1, -.5, 0x10, 2.,], /* x */ d: null, e: \"\\u00e9\", // end\n}"))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := marshalOrdered(v)
	want := "{\n  \"a\": 1,\n  \"b\": \"it's\",\n  \"c\": [\n    1,\n    -0.5,\n    16,\n    2.0\n  ],\n  \"d\": null,\n  \"e\": \"é\"\n}\n"
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	for _, bad := range []string{`{a: Infinity}`, `{a: 1`, `{"a": "x`, `/* open`, `{a: 1} x`} {
		if _, err := parseJSON5([]byte(bad)); err == nil {
			t.Errorf("%q should not parse", bad)
		}
	}
}

func TestProviderForDomain(t *testing.T) {
	for domain, want := range map[string]string{"gmail.com": "gmail", "hotmail.co.uk": "outlook", "yahoo.fr": "yahoo", "me.com": "icloud", "fastmail.fm": "fastmail", "example.org": "generic"} {
		if got := providerForDomain(domain); got != want {
			t.Errorf("%s: %s, want %s", domain, got, want)
		}
	}
}

// TestAccountTOMLRoundTrips writes values strconv.Quote would have escaped
// as \x.. (invalid in TOML) and checks that go-toml and config.Load read
// back exactly what the wizard collected.
func TestAccountTOMLRoundTrips(t *testing.T) {
	name := "Zoë \"Z\" Ærø\x01\x7f\t\u200b日本 \\ end"
	cmd := "pass show 'mail/wörk'\x1b[0m"
	na := &newAccount{ID: "work", Email: "zoe@example.org", Name: name, Provider: "generic", Auth: authPassword,
		PasswordCommand: cmd,
		IMAP:            &serverEntry{Host: "imap.example.org", Port: 993, TLS: tlsImplicit},
		SMTP:            &serverEntry{Host: "smtp.example.org", Port: 465, TLS: tlsImplicit}}
	block, err := na.toml(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Accounts []newAccount `toml:"accounts"`
	}
	if err := toml.Unmarshal(block, &back); err != nil {
		t.Fatalf("go-toml cannot read what the wizard wrote: %v\n%s", err, block)
	}
	if len(back.Accounts) != 1 || back.Accounts[0].Name != name || back.Accounts[0].PasswordCommand != cmd || *back.Accounts[0].IMAP != *na.IMAP {
		t.Errorf("round trip changed the account:\n%+v\n%s", back.Accounts, block)
	}
	if !bytes.Contains(block, []byte("imap = {")) {
		t.Errorf("servers should be inline tables:\n%s", block)
	}
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, append([]byte("state_dir = '/tmp/x'\n\n"), block...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("config.Load: %v\n%s", err, block)
	}
	if a := cfg.Account("work"); a == nil || a.Name != name || a.PasswordCommand != cmd || a.IMAP.Port != 993 {
		t.Errorf("config.Load read %+v", a)
	}
}

func TestOAuthAccountTOML(t *testing.T) {
	na := &newAccount{ID: "gm", Email: "me@gmail.com", Provider: "gmail", Auth: authOAuth2,
		OAuth: &oauthEntry{ClientID: "123.apps.googleusercontent.com", ClientSecretFile: "/home/me/.config/mailmcp/secrets/gm-oauth-client"}}
	block, err := na.toml(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"[accounts.oauth]", "client_secret_file = ", "client_id = "} {
		if !strings.Contains(string(block), want) {
			t.Errorf("lacks %q:\n%s", want, block)
		}
	}
	if strings.Contains(string(block), "password") || strings.Contains(string(block), "imap") {
		t.Errorf("unset keys must be left out:\n%s", block)
	}
}

func TestInBuildCache(t *testing.T) {
	t.Setenv("GOCACHE", "/home/me/.cache/go-build")
	for p, want := range map[string]bool{
		"/tmp/go-build4016710042/b001/exe/mailmcp":   true, // go run
		"/tmp/go-build123/b001/mailmcp.test":         true, // go test
		"/home/me/.cache/go-build/ab/cd/exe/mailmcp": true, // go run, cached
		"/home/me/go/bin/mailmcp":                    false,
		"/usr/local/bin/mailmcp":                     false,
		"/home/me/go-builds/mailmcp":                 false,
	} {
		if got := InBuildCache(p); got != want {
			t.Errorf("InBuildCache(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestSelfPathRefusesTheBuildCache(t *testing.T) {
	// This test binary was built by 'go test' into a go-build directory.
	if _, err := SelfPath(); err == nil || !strings.Contains(err.Error(), "go build -o ~/bin/mailmcp ./cmd/mailmcp") {
		t.Errorf("want a refusal that says how to build: %v", err)
	}
}

// TestWizardPOP3Account: choosing pop3 for a generic provider writes a
// protocol = "pop3" account with its POP3 server that config.Load accepts
// (the live login test is doctor's, covered by cmd/mailmcp's POP3 test).
func TestWizardPOP3Account(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	answers := strings.Join([]string{
		"me@isp.example", "", "Me", // address, provider (generic), name
		"pop3", "", "", "", // read with pop3; pop.isp.example, implicit, 995
		"", "", "", // smtp.isp.example, implicit, 465
		"",              // id
		"", "secret-pw", // password in a file
	}, "\n") + "\n"
	var out bytes.Buffer
	if err := AddAccount(t.Context(), AccountOptions{ConfigPath: path}, strings.NewReader(answers), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		b, _ := os.ReadFile(path)
		t.Fatalf("config.Load: %v\n%s", err, b)
	}
	a := cfg.Accounts[0]
	if a.Protocol != config.ProtocolPOP3 || a.POP3.Host != "pop.isp.example" || a.POP3.Port != 995 || a.POP3.TLS != config.TLSImplicit || a.IMAP.Host != "" {
		t.Errorf("account %+v", a)
	}
	if !strings.Contains(out.String(), "stays on the server") {
		t.Errorf("the wizard did not say what POP3 means:\n%s", out.String())
	}
}
