package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/httpfront"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// openclawBinary is the real OpenClaw CLI scripts/install-openclaw.sh
// installs (scripts/test.sh runs it). Missing, the test skips, except
// under CI=true where it fails.
func openclawBinary(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MAILMCP_OPENCLAW")
	if dir == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			t.Skip(err)
		}
		dir = filepath.Join(cache, "mailmcp", "openclaw")
	}
	bin := filepath.Join(dir, "bin", "openclaw")
	if _, err := os.Stat(bin); err != nil {
		if testrig.IsCI() {
			t.Fatalf("OpenClaw is required under CI: run scripts/install-openclaw.sh (%v)", err)
		}
		t.Skipf("no OpenClaw CLI (%v): run scripts/install-openclaw.sh", err)
	}
	return bin
}

// TestOpenClawSeesSkill runs 'setup openclaw' into a private HOME and asks
// the real OpenClaw 2026.9.6 CLI what it makes of the result: the skill
// must be eligible and visible to the model (a requires.bins OpenClaw
// cannot satisfy hid it as "Needs setup"), and the server entry must start
// mailmcp and list its tools as the model will see them.
func TestOpenClawSeesSkill(t *testing.T) {
	oc := openclawBinary(t)
	t.Parallel()
	home := t.TempDir()
	// The client starts the command with only HOME, PATH and the like: a
	// wrapper makes the test binary act as mailmcp.
	wrapper := filepath.Join(home, "bin", "mailmcp")
	os.MkdirAll(filepath.Dir(wrapper), 0o755)
	script := "#!/bin/sh\nMAILMCP_TEST_AS_BINARY=1 MAILMCP_STATE_DIR=" + filepath.Join(home, "state") + " exec " + os.Args[0] + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	err := execute(t.Context(), []string{"setup", "openclaw", "--command", wrapper,
		"--file", filepath.Join(home, ".openclaw", "openclaw.json"),
		"--skills-dir", filepath.Join(home, ".openclaw", "skills")}, nil, &out, &errb)
	if err != nil {
		t.Fatalf("setup openclaw: %v\n%s%s", err, out.String(), errb.String())
	}

	openclaw := func(args ...string) []byte { return runOpenClaw(t, oc, home, nil, args...) }

	var skill struct {
		Eligible, ModelVisible bool
		Missing                map[string][]string
	}
	raw := openclaw("skills", "info", "mailmcp-email", "--json")
	if err := json.Unmarshal(raw, &skill); err != nil {
		t.Fatalf("skills info: %v\n%s", err, raw)
	}
	if !skill.Eligible || !skill.ModelVisible {
		t.Errorf("OpenClaw does not show the mailmcp skill as ready and visible to the model:\n%s", raw)
	}
	for kind, m := range skill.Missing {
		if len(m) > 0 {
			t.Errorf("skill misses %s %v", kind, m)
		}
	}

	checkProbe(t, openclaw("mcp", "probe", "email", "--json"))
}

// TestOpenClawOverHTTP: 'setup openclaw --url' writes an entry OpenClaw
// connects with to a running daemon (streamable HTTP, not the SSE it
// assumes without a transport; the bearer token expanded from the
// environment).
func TestOpenClawOverHTTP(t *testing.T) {
	oc := openclawBinary(t)
	t.Parallel()
	const token = "openclaw-0123456789abcdef0123456789"
	addr := freeAddr(t)
	srv := binary(t, "demo", "--http", addr)
	srv.Env = append(srv.Env, httpfront.EnvToken+"="+token)
	srvLog := &syncBuffer{}
	srv.Stderr = srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	waitHealthy(t, "http://"+addr, srvLog)

	home := t.TempDir()
	var out, errb strings.Builder
	err := execute(t.Context(), []string{"setup", "openclaw", "--url", "http://" + addr + "/mcp",
		"--file", filepath.Join(home, ".openclaw", "openclaw.json"),
		"--skills-dir", filepath.Join(home, ".openclaw", "skills")}, nil, &out, &errb)
	if err != nil {
		t.Fatalf("setup openclaw --url: %v\n%s%s", err, out.String(), errb.String())
	}
	checkProbe(t, runOpenClaw(t, oc, home, []string{httpfront.EnvToken + "=" + token}, "mcp", "probe", "email", "--json"))
	if strings.Contains(srvLog.String(), token) {
		t.Error("the daemon logged the token")
	}
}

// runOpenClaw runs the OpenClaw CLI with a private HOME and only the
// variables a person's shell would give it, plus env.
func runOpenClaw(t *testing.T, oc, home string, env []string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, oc, args...)
	// No mailmcp on PATH: the skill and the entry must not depend on one.
	cmd.Env = append([]string{"HOME=" + home, "PATH=/usr/bin:/bin", "TERM=dumb", "NO_COLOR=1"}, env...)
	cmd.Dir = home
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("openclaw %s: %v\n%s\n%s", strings.Join(args, " "), err, stdout, stderr.String())
	}
	return stdout
}

// checkProbe checks 'openclaw mcp probe email --json': the server answered
// and its tools reach the model as email__*.
func checkProbe(t *testing.T, raw []byte) {
	t.Helper()
	var probe struct {
		Servers map[string]struct{ Tools int }
		Tools   []string
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		t.Fatalf("mcp probe: %v\n%s", err, raw)
	}
	if probe.Servers["email"].Tools == 0 || !slices.Contains(probe.Tools, "email__search") {
		t.Errorf("OpenClaw could not list mailmcp's tools through the entry setup wrote:\n%s", raw)
	}
}
