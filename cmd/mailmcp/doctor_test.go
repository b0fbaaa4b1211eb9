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
			[]string{"FAIL  account demo password: env MAILMCP_TEST_UNSET_PW", "fix: export MAILMCP_TEST_UNSET_PW=<the password>"}},
		{"server down", strings.Replace(text, srv.IMAPAddr[strings.LastIndex(srv.IMAPAddr, ":")+1:], "1", 1),
			[]string{"FAIL  account demo imap connect:", "fix: check the host and port"}},
		{"bad config", text + "\nbogus_key = 1\n", []string{"FAIL  config:", "bogus_key", "fix: edit the file"}},
	}
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
		})
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
