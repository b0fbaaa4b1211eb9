package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// loginConfig is a Gmail OAuth account whose token endpoint is a closed
// loopback port: the provider cannot be reached, as when offline.
func loginConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	text := `state_dir = "` + filepath.Join(dir, "state") + `"
log_level = "debug"
[[accounts]]
id = "gmail"
email = "someone@gmail.com"
provider = "gmail"
auth = "oauth2"
[accounts.oauth]
client_id = "test-client"
token_url = "http://127.0.0.1:1/token"
`
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAuthLoginOfflineSaysItOnce: the code exchange cannot reach the
// provider; the failure is printed once, without stacked prefixes, with
// what to do.
func TestAuthLoginOfflineSaysItOnce(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"auth", "login", "gmail", "--no-open", "--config", loginConfig(t)}, strings.NewReader("pasted-code\n"), &out, &errb)
	msg := errb.String()
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, msg)
	}
	if n := strings.Count(msg, "connection refused"); n != 1 {
		t.Errorf("the failure is printed %d times, want once:\n%s", n, msg)
	}
	for _, bad := range []string{"auth: ", "login gmail:"} {
		if strings.Contains(msg, bad) {
			t.Errorf("stacked prefix %q:\n%s", bad, msg)
		}
	}
	for _, want := range []string{"mailmcp auth login: gmail: cannot reach http://127.0.0.1:1", "check the network", "'mailmcp auth login gmail' again"} {
		if !strings.Contains(msg, want) {
			t.Errorf("lacks %q:\n%s", want, msg)
		}
	}
}

// TestAuthLoginStdinClosed: with stdin closed nothing can be pasted; the
// login says so when it happens, and the interruption says what happened
// instead of "context canceled".
func TestAuthLoginStdinClosed(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	var out, errb bytes.Buffer
	err := execute(ctx, []string{"auth", "login", "gmail", "--no-open", "--config", loginConfig(t)}, strings.NewReader(""), &out, &errb)
	if err == nil {
		t.Fatal("login without authorization succeeded")
	}
	if strings.Contains(err.Error(), "context canceled") || strings.Contains(err.Error(), "deadline exceeded") {
		t.Errorf("says only that the context ended: %v", err)
	}
	for _, want := range []string{"interrupted before the authorization arrived", "stdin was closed", "nothing was saved"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if !strings.Contains(errb.String(), "stdin is closed: nothing can be pasted here") {
		t.Errorf("no notice when stdin closed:\n%s", errb.String())
	}
}

// TestAuthStatusWithoutAccounts says there is nothing to show, and what to
// do, instead of printing nothing.
func TestAuthStatusWithoutAccounts(t *testing.T) {
	var out, errb bytes.Buffer
	if err := execute(t.Context(), []string{"auth", "status", "--config", writeConfig(t, "")}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "no account configured") || !strings.Contains(out.String(), "accounts add") {
		t.Errorf("auth status with no account: %q", out.String())
	}
}

func TestTrimAuthPrefixes(t *testing.T) {
	for in, want := range map[string]string{
		"auth: login gmail: auth: exchange authorization code: oauth: bad": "exchange authorization code: oauth: bad",
		"auth: refresh: invalid_grant":                                     "refresh: invalid_grant",
		"the saved login is no longer valid":                               "the saved login is no longer valid",
	} {
		if got := trimAuthPrefixes(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
