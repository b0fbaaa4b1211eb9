package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/httpfront"
)

// TestTypeScriptSDK drives mailmcp with the official TypeScript MCP SDK
// client (scripts/e2e-ts, installed by 'npm ci' from scripts/test.sh) over
// stdio and over streamable HTTP with and without the bearer token. The
// binary is this test binary acting as mailmcp (see TestMain).
func TestTypeScriptSDK(t *testing.T) {
	ci := os.Getenv("CI") == "true"
	skip := func(msg string) {
		t.Helper()
		if ci {
			t.Fatal(msg)
		}
		t.Skip("SKIPPING the TypeScript SDK end-to-end test: " + msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed (install Node.js >= 18 and run 'npm ci' in scripts/e2e-ts)")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "scripts", "e2e-ts"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		skip("the SDK is not installed: run 'npm ci' in " + dir)
	}

	const token = "e2e-ts-0123456789abcdef0123456789"
	addr := freeAddr(t)
	srv := binary(t, "demo", "--http", addr)
	srv.Env = append(srv.Env, httpfront.EnvToken+"="+token)
	srvLog := &syncBuffer{}
	srv.Stderr = srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		srv.Process.Kill()
		srv.Wait()
	}()
	waitHealthy(t, "http://"+addr, srvLog)

	// The stdio child gets this binary's role and a private HOME; the SDK
	// otherwise passes only a minimal environment, as OpenClaw does.
	childEnv, _ := json.Marshal(childVars(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "e2e.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"MAILMCP_BIN="+os.Args[0], "MAILMCP_BIN_ENV="+string(childEnv),
		"MAILMCP_URL=http://"+addr+"/mcp", "MAILMCP_TOKEN="+token)
	out, err := cmd.CombinedOutput()
	t.Logf("TypeScript SDK client:\n%s", out)
	if err != nil || !strings.Contains(string(out), "\nPASS") {
		t.Fatalf("TypeScript SDK e2e failed: %v\nserver log:\n%s", err, srvLog.String())
	}
	for _, want := range []string{"ok   stdio fetch_message", "ok   http fetch_message", "ok   http without token is refused"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing check %q", want)
		}
	}
	if strings.Contains(srvLog.String(), token) {
		t.Error("the server log contains the token")
	}
}

// waitHealthy polls /healthz until the server answers.
func waitHealthy(t testing.TB, base string, log fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
