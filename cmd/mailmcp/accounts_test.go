package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/demo"
)

func TestAccountsAddWizardOnDemo(t *testing.T) {
	srv, text := startDemo(t)
	path := writeConfig(t, text)
	before, _ := os.ReadFile(path)
	ih, ip := splitAddr(srv.IMAPAddr)
	sh, sp := splitAddr(srv.SMTPAddr)
	answers := strings.Join([]string{
		"not an address",
		"Dana Demo <" + demo.Email + ">",
		"",     // provider: generic (detected)
		"Dana", // name
		"",     // read mail with imap
		ih, "plain", strconv.Itoa(ip),
		sh, "plain", strconv.Itoa(sp),
		"demo", // taken
		"",     // suggested id
		"",     // password in a file
		demo.Password,
	}, "\n") + "\n"
	var out, errb bytes.Buffer
	if err := execute(t.Context(), []string{"accounts", "add", "--config", path}, strings.NewReader(answers), &out, &errb); err != nil {
		t.Fatalf("wizard: %v\n%s", err, out.String())
	}
	for _, want := range []string{"that is not an email address", "that id is already used", "ok    account demo2 imap login", "ok    account demo2 smtp login", "backed up"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("wizard output lacks %q:\n%s", want, out.String())
		}
	}
	after, _ := os.ReadFile(path)
	if !bytes.HasPrefix(after, before) {
		t.Errorf("the existing config must be kept verbatim:\n%s", after)
	}
	cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatalf("written config: %v\n%s", err, after)
	}
	if ids := cfg.AccountIDs(); len(ids) != 2 || ids[0] != "demo" || ids[1] != "demo2" {
		t.Fatalf("accounts %v", ids)
	}
	a := cfg.Account("demo2")
	pw, _ := os.ReadFile(a.PasswordFile)
	if a.Email != demo.Email || a.IMAP.Port != ip || a.SMTP.TLS != "plain" || strings.TrimSpace(string(pw)) != demo.Password {
		t.Errorf("account %+v", a)
	}
	if st, _ := os.Stat(a.PasswordFile); st.Mode().Perm() != 0o600 {
		t.Errorf("password file mode %v", st.Mode().Perm())
	}
	if strings.Contains(string(after[len(before):]), `"`+demo.Password+`"`) {
		t.Error("the password must not be written into the config")
	}
}

func TestAccountsAddWrongPasswordNotSaved(t *testing.T) {
	srv, _ := startDemo(t)
	path := filepath.Join(t.TempDir(), "cfg", "config.toml")
	ih, ip := splitAddr(srv.IMAPAddr)
	sh, sp := splitAddr(srv.SMTPAddr)
	answers := strings.Join([]string{demo.Email, "", "", "", ih, "plain", strconv.Itoa(ip), sh, "plain", strconv.Itoa(sp), "", "file", "wrong", "no"}, "\n") + "\n"
	var out, errb bytes.Buffer
	err := execute(t.Context(), []string{"accounts", "add", "--config", path}, strings.NewReader(answers), &out, &errb)
	if err == nil || !strings.Contains(out.String(), "FAIL  account demo imap login") {
		t.Fatalf("want a failed test and no save: %v\n%s", err, out.String())
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("config written despite the answer no")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "passwords", "*")); len(left) != 0 {
		t.Errorf("password file left behind: %v", left)
	}
}

func TestAccountsAddProviders(t *testing.T) {
	// Outlook goes straight to OAuth; the account is written for 'auth login'.
	path := filepath.Join(t.TempDir(), "config.toml")
	answers := "me@outlook.com\n\nMe\n\nclient-123\n\n\n" // id, client id, no secret, tenant
	var out, errb bytes.Buffer
	if err := execute(t.Context(), []string{"accounts", "add", "--config", path}, strings.NewReader(answers), &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Account("outlook")
	if a == nil || a.Auth != config.AuthOAuth2 || a.OAuth.ClientID != "client-123" || a.OAuth.Tenant != "common" || !strings.Contains(out.String(), "mailmcp auth login outlook") {
		t.Errorf("outlook account %+v\n%s", a, out.String())
	}
	if err := execute(t.Context(), []string{"accounts", "add", "--config", path}, strings.NewReader("x@y.org\n"), &out, &errb); err == nil {
		t.Error("input that ends early must be an error")
	}
}
