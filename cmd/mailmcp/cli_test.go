package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// walk calls fn for every command of the tree with its arguments from the
// root (e.g. ["auth", "login"]).
func walk(c *cobra.Command, path []string, fn func(*cobra.Command, []string)) {
	fn(c, path)
	for _, s := range c.Commands() {
		walk(s, append(append([]string(nil), path...), s.Name()), fn)
	}
}

// TestEveryCommandHasHelp: -h and --help succeed on every command and
// print its usage; every command has a one-line description, and the
// top-level ones appear in 'mailmcp --help'.
func TestEveryCommandHasHelp(t *testing.T) {
	var rootHelp bytes.Buffer
	if err := execute(t.Context(), []string{"--help"}, nil, &rootHelp, &rootHelp); err != nil {
		t.Fatal(err)
	}
	walk(newRootCmd(), nil, func(c *cobra.Command, path []string) {
		if c.Short == "" {
			t.Errorf("mailmcp %s has no one-line description", strings.Join(path, " "))
		}
		if len(path) == 1 && !strings.Contains(rootHelp.String(), c.Short) {
			t.Errorf("mailmcp --help lacks %q:\n%s", c.Short, rootHelp.String())
		}
		for _, h := range []string{"-h", "--help"} {
			var out, errb bytes.Buffer
			args := append(append([]string(nil), path...), h)
			if err := execute(t.Context(), args, nil, &out, &errb); err != nil {
				t.Errorf("mailmcp %s: %v", strings.Join(args, " "), err)
			}
			if !strings.Contains(out.String(), "Usage:") {
				t.Errorf("mailmcp %s printed no usage:\n%s%s", strings.Join(args, " "), out.String(), errb.String())
			}
		}
	})
}

// TestFlagsBelongToTheirCommand: a command's help lists its own flags only.
func TestFlagsBelongToTheirCommand(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"call", "-h"}, []string{"--demo", "--text", "--config", "--toolsets"}, []string{"--token-file", "--tls-cert", "--http", "--max-sessions"}},
		{[]string{"auth", "status", "-h"}, []string{"--config"}, []string{"--browser", "--device", "--no-open"}},
		{[]string{"auth", "login", "-h"}, []string{"--browser", "--device", "--no-open"}, nil},
		{[]string{"serve", "-h"}, []string{"--http", "--token-file", "--read-only", "--toolsets"}, []string{"--print-config", "--demo"}},
		{[]string{"setup", "service", "-h"}, []string{"--os", "--dry-run"}, []string{"--skills-dir", "--log-file"}},
	} {
		var out bytes.Buffer
		if err := execute(t.Context(), tc.args, nil, &out, &out); err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("mailmcp %s lacks %s", strings.Join(tc.args, " "), w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("mailmcp %s shows %s, which is not its flag", strings.Join(tc.args, " "), n)
			}
		}
	}
}

// TestUsageErrorsExitTwo: unknown commands and flags, missing or extra
// arguments are usage errors, with a hint where one helps.
func TestUsageErrorsExitTwo(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sreve"}, "did you mean serve"},
		{[]string{"auth"}, "want a command: login, status, logout"},
		{[]string{"auth", "lgin"}, "did you mean login"},
		{[]string{"setup", "nope"}, "unknown command"},
		{[]string{"serve", "--no-such-flag"}, "unknown flag"},
		{[]string{"serve", "extra"}, "unexpected argument"},
		{[]string{"call"}, "want TOOL"},
		{[]string{"auth", "login"}, "want the account id"},
		{[]string{"auth", "login", "x", "--browser", "--device"}, "exclude each other"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, strings.NewReader(""), &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("mailmcp %s: exit %d, want 2 with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, errb.String())
		}
	}
}

// TestFlagsAnywhere: flags may follow positional arguments.
func TestFlagsAnywhere(t *testing.T) {
	t.Setenv("MAILMCP_STATE_DIR", t.TempDir()) // the demo's state stays out of HOME
	var out, errb bytes.Buffer
	err := execute(t.Context(), []string{"call", "list_accounts", "--demo", "--text"}, nil, &out, &errb)
	if err != nil || !strings.Contains(out.String(), "demo") || strings.HasPrefix(strings.TrimSpace(out.String()), "{") {
		t.Fatalf("call TOOL --demo --text: %v\n%s%s", err, out.String(), errb.String())
	}
}

// TestCompletion: the completion scripts exist for the common shells, and
// completing 'call' offers tool names.
func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		var out bytes.Buffer
		if err := execute(t.Context(), []string{"completion", sh}, nil, &out, &out); err != nil || !strings.Contains(out.String(), "mailmcp") {
			t.Errorf("completion %s: %v\n%.200s", sh, err, out.String())
		}
	}
	// The bash script loads in a real bash and registers the completion.
	if bash, err := exec.LookPath("bash"); err == nil {
		script := filepath.Join(t.TempDir(), "mailmcp.bash")
		var out bytes.Buffer
		if err := execute(t.Context(), []string{"completion", "bash"}, nil, &out, &out); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(script, out.Bytes(), 0o600)
		got, err := exec.Command(bash, "-c", "source "+script+" && complete -p mailmcp").CombinedOutput()
		if err != nil || !strings.Contains(string(got), "__start_mailmcp") {
			t.Errorf("bash does not load the completion: %v\n%s", err, got)
		}
	}
	var out bytes.Buffer
	if err := execute(t.Context(), []string{cobra.ShellCompNoDescRequestCmd, "call", "sea"}, nil, &out, &out); err != nil || !strings.Contains(out.String(), "search") {
		t.Errorf("completing 'call sea': %v\n%s", err, out.String())
	}
}
