package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// issued records every token the OAuth server handed out, to scan output
// for them afterwards.
type issued struct {
	mu      sync.Mutex
	secrets []string
}

func (i *issued) add(s ...string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, v := range s {
		if v != "" {
			i.secrets = append(i.secrets, v)
		}
	}
}

func (i *issued) all() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]string(nil), i.secrets...)
}

// oauthRig is a real Dovecot whose oauth2 passdb accepts the access tokens a
// local OAuth server issues, plus a config file for one oauth2 account.
type oauthRig struct {
	stack  *testrig.Stack
	user   testrig.User
	oauth  *oauthtest.Server
	tokens *issued
	config string
	env    []string
	// output collects everything every child process printed.
	mu     sync.Mutex
	output bytes.Buffer
}

const testClientSecret = "cs-e2e-FROBOZZ-31337"

func newOAuthRig(t *testing.T, accessTTL time.Duration) *oauthRig {
	t.Helper()
	s := testrig.Require(t)
	r := &oauthRig{stack: s, user: s.NewUser(t), tokens: &issued{}}
	r.tokens.add(testClientSecret, r.user.Password)
	r.oauth = oauthtest.New(oauthtest.Options{
		ClientSecret: testClientSecret, Username: r.user.Username, AccessTTL: accessTTL,
		DeviceScript: []string{oauthtest.StepPending}, DeviceInterval: 1,
		OnIssue: func(access, refresh string) {
			r.tokens.add(access, refresh)
			s.AddToken(r.user, access)
		},
	})
	t.Cleanup(r.oauth.Close)

	dir := t.TempDir()
	r.config = filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`state_dir = %q
log_level = "debug"

[[accounts]]
id = "work"
email = %q
provider = "generic"
auth = "oauth2"
send_policy = "autonomous"
ca_file = %q
imap = { host = %q, port = %d, tls = "implicit" }
smtp = { host = %q, port = %d, tls = "implicit" }

[accounts.oauth]
client_id = "test-client"
client_secret_env = "MAILMCP_TEST_OAUTH_SECRET"
auth_url = %q
token_url = %q
device_url = %q
scopes = ["mail"]
`, filepath.Join(dir, "state"), r.user.Email, s.CAFile, s.Host, s.IMAPSPort, s.Host, s.SubmissionsPort,
		r.oauth.AuthURL(), r.oauth.TokenURL(), r.oauth.DeviceURL())
	if err := os.WriteFile(r.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r.env = append(childEnv(t), "MAILMCP_TEST_OAUTH_SECRET="+testClientSecret)
	return r
}

// run executes mailmcp with the rig's config and returns stdout, stderr.
func (r *oauthRig) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args = append(args, "--config", r.config, "--log-level", "debug")
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = r.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r.mu.Lock()
	r.output.Write(stdout.Bytes())
	r.output.Write(stderr.Bytes())
	r.mu.Unlock()
	return stdout.String(), stderr.String(), err
}

// scan fails the test when any secret the flows used appears in anything
// the processes printed (logs at debug level, results, protocol traffic).
func (r *oauthRig) scan(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	out := r.output.String()
	r.mu.Unlock()
	for _, s := range r.tokens.all() {
		for _, form := range []string{s, url.QueryEscape(s)} {
			if strings.Contains(out, form) {
				t.Errorf("a secret (%d chars, starts %q) appears in mailmcp's output", len(s), s[:3])
			}
		}
	}
}

// TestOAuthEndToEndAgainstDovecot runs the production path: `auth login`
// with the device flow, then tool calls that log in to real Dovecot with
// SASL (its oauth2 passdb introspects the token), token refresh with
// rotation across processes, revocation turning into an actionable error,
// and no secret in any output at debug level.
func TestOAuthEndToEndAgainstDovecot(t *testing.T) {
	// Access tokens shorter-lived than the refresh skew: every process
	// refreshes before it logs in, exercising rotation on each call.
	r := newOAuthRig(t, 2*time.Minute)
	ctx := context.Background()
	msg := "From: Pat <pat@example.org>\r\nTo: " + r.user.Email + "\r\nSubject: oauth e2e hello\r\nMessage-ID: <oauth-e2e@example.org>\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n"
	if err := r.stack.DeliverLMTP(ctx, "pat@example.org", []string{r.user.Email}, []byte(msg)); err != nil {
		t.Fatal(err)
	}

	if _, stderr, err := r.run(t, "auth", "login", "work", "--device"); err != nil {
		t.Fatalf("auth login: %v\n%s", err, stderr)
	} else if !strings.Contains(stderr, r.oauth.URL) {
		t.Errorf("auth login did not tell the user where to go:\n%s", stderr)
	}
	tokenFile := filepath.Join(filepath.Dir(r.config), "state", "tokens", "work.json")
	if fi, err := os.Stat(tokenFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", fi, err)
	}

	stdout, stderr, err := r.run(t, "call", "search", `{"account":"work"}`)
	if err != nil || !strings.Contains(stdout, "oauth e2e hello") {
		t.Fatalf("search over OAuth: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	before := r.oauth.Counters().Refreshes

	// Several processes sharing the state directory at once (OpenClaw runs
	// one per session): all succeed and the token file stays consistent.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	outs := make([]string, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], _, errs[i] = r.run(t, "call", "search", `{"account":"work"}`)
		}()
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil || !strings.Contains(outs[i], "oauth e2e hello") {
			t.Errorf("concurrent call %d: %v %s", i, errs[i], outs[i])
		}
	}
	c := r.oauth.Counters()
	if c.Refreshes <= before || c.FailedRefreshes != 0 {
		t.Errorf("refreshes %d (before %d), failed %d: want rotation without failures", c.Refreshes, before, c.FailedRefreshes)
	}
	data, err := os.ReadFile(tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	all := r.tokens.all()
	if last := all[len(all)-1]; !bytes.Contains(data, []byte(last)) {
		t.Errorf("token file does not hold the newest rotated refresh token")
	}

	// Sending authenticates to Postfix with the same OAuth token (Postfix
	// asks Dovecot's SASL, whose oauth2 passdb introspects it).
	send := fmt.Sprintf(`{"account":"work","to":[%q],"subject":"oauth smtp hello","body":"sent over XOAUTH2","idempotency_key":"e2e-1"}`, r.user.Email)
	stdout, stderr, err = r.run(t, "call", "send_email", send)
	if err != nil || !strings.Contains(stdout, `"status": "sent"`) {
		t.Fatalf("send over OAuth: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		stdout, _, _ = r.run(t, "call", "search", `{"account":"work","subject":"oauth smtp hello"}`)
		if strings.Contains(stdout, "oauth smtp hello") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message sent over OAuth never arrived:\n%s", stdout)
		}
		time.Sleep(300 * time.Millisecond)
	}

	if stdout, _, err := r.run(t, "auth", "status"); err != nil || !strings.Contains(stdout, "work") {
		t.Errorf("auth status: %v\n%s", err, stdout)
	}

	// The user revokes access at the provider: the next call says what to do.
	r.oauth.InvalidateRefreshTokens()
	stdout, _, _ = r.run(t, "call", "search", `{"account":"work"}`)
	if !strings.Contains(stdout, "mailmcp auth login") {
		t.Errorf("revoked grant: the tool error must tell the user to run mailmcp auth login:\n%s", stdout)
	}
	r.scan(t)
}
