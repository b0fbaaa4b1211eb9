package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/demo"
)

// startDemo runs the demo mail service for one test and returns its
// config file text.
func startDemo(t *testing.T) (*demo.Server, string) {
	t.Helper()
	srv, err := demo.Start(demo.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	return srv, demoTOML(srv)
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte("state_dir = "+`"`+filepath.Join(dir, "state")+`"`+"\n"+text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDoctorOnDemo(t *testing.T) {
	_, text := startDemo(t)
	var out, errb bytes.Buffer
	err := execute(t.Context(), []string{"doctor", "--config", writeConfig(t, text)}, nil, &out, &errb)
	if err != nil {
		t.Fatalf("doctor on a healthy demo: %v\n%s%s", err, out.String(), errb.String())
	}
	for _, want := range []string{
		"ok    config:", "ok    state directory:", "ok    account demo password: resolved from command",
		"ok    account demo imap connect:", "ok    account demo imap login: logged in as " + demo.Email,
		"account demo imap capabilities: has IDLE MOVE UIDPLUS", "ok    account demo smtp connect:",
		"ok    account demo smtp login: logged in as " + demo.Email, "all checks passed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
	checkSaysOnce(t, out.String())
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if strings.Contains(line, demo.Password+"\n") {
			t.Errorf("the password leaked: %q", line)
		}
	}
}

func TestDoctorReportsFailuresWithFixes(t *testing.T) {
	srv, text := startDemo(t)
	cases := []struct {
		name, text string
		want       []string
	}{
		{"wrong password", strings.Replace(text, "printf %s demo", "printf %s wrong", 1),
			[]string{"FAIL  account demo imap login:", "fix: check the user name", "FAIL  account demo smtp login:"}},
		{"no password", strings.Replace(text, `password_command = "printf %s demo"`, `password_env = "MAILMCP_TEST_UNSET_PW"`, 1),
			[]string{"FAIL  account demo password: password_env names the variable MAILMCP_TEST_UNSET_PW, which is not set", "fix: export MAILMCP_TEST_UNSET_PW=<the password>"}},
		{"empty password", strings.Replace(text, `password_command = "printf %s demo"`, `password_env = "MAILMCP_TEST_EMPTY_PW"`, 1),
			[]string{"FAIL  account demo password: password_env is set but the variable MAILMCP_TEST_EMPTY_PW is empty", "fix: export MAILMCP_TEST_EMPTY_PW=<the password>"}},
		{"server down", strings.Replace(text, srv.IMAPAddr[strings.LastIndex(srv.IMAPAddr, ":")+1:], "1", 1),
			[]string{"FAIL  account demo imap connect:", "fix: check the host and port"}},
		{"not logged in", strings.Replace(text, `password_command = "printf %s demo"`,
			`auth = "oauth2"`+"\n"+`oauth = { client_id = "x", auth_url = "http://127.0.0.1:1/a", token_url = "http://127.0.0.1:1/t" }`, 1),
			[]string{"FAIL  account demo oauth token: not logged in", "auth login demo"}},
		{"bad config", text + "\nbogus_key = 1\n", []string{"FAIL  config:", "bogus_key", "fix: edit the file"}},
	}
	t.Setenv("MAILMCP_TEST_EMPTY_PW", "")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := execute(t.Context(), []string{"doctor", "--config", writeConfig(t, c.text), "--timeout", "5s"}, nil, &out, &errb)
			if err == nil || !strings.Contains(err.Error(), "failed") {
				t.Errorf("doctor must fail: %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			checkSaysOnce(t, out.String())
		})
	}
}

// checkSaysOnce fails when a fix line repeats what its problem line
// already says, or a time reads as zero.
func checkSaysOnce(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.Contains(l, " in 0s") || strings.Contains(l, " in 0 ms") || strings.Contains(l, " in 0.0 ms") {
			t.Errorf("a zero duration: %q", l)
		}
		fix, ok := strings.CutPrefix(strings.TrimSpace(l), "fix: ")
		unquote := strings.NewReplacer("`", "", "'", "").Replace
		if ok && i > 0 && strings.Contains(unquote(lines[i-1]), unquote(strings.SplitN(fix, " (", 2)[0])) {
			t.Errorf("the fix repeats its problem:\n%s\n%s", lines[i-1], l)
		}
	}
}

func TestDoctorExitCode(t *testing.T) {
	_, text := startDemo(t)
	bad := writeConfig(t, strings.Replace(text, "printf %s demo", "printf %s wrong", 1))
	cmd := binary(t, "doctor", "--config", bad)
	out, err := cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), "FAIL") {
		t.Fatalf("want exit 1 with FAIL lines: %v\n%s", err, out)
	}
}
