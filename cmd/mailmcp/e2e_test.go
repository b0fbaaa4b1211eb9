package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// binary returns a command running this test binary as mailmcp, with a
// private HOME and state directory.
func binary(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = childEnv(t)
	return cmd
}

func childEnv(t testing.TB) []string {
	t.Helper()
	env := os.Environ()
	for k, v := range childVars(t) {
		env = append(env, k+"="+v)
	}
	return env
}

// childVars makes a child process act as mailmcp with a private HOME.
func childVars(t testing.TB) map[string]string {
	t.Helper()
	home := t.TempDir()
	return map[string]string{
		"MAILMCP_TEST_AS_BINARY": "1", "HOME": home,
		"XDG_CONFIG_HOME": filepath.Join(home, "cfg"), "XDG_STATE_HOME": filepath.Join(home, "state"),
	}
}

type rpcLine struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Result  json.RawMessage `json:"result"`
	Error   json.RawMessage `json:"error"`
}

// TestStdioWritesOnlyJSONRPC drives the demo over raw pipes and checks that
// every byte on stdout is a JSON-RPC message, while logs go to stderr.
func TestStdioWritesOnlyJSONRPC(t *testing.T) {
	cmd := binary(t, "demo", "--log-level", "debug")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	var raw bytes.Buffer
	go func() {
		sc := bufio.NewScanner(io.TeeReader(stdout, &raw))
		sc.Buffer(make([]byte, 1<<20), 4<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	send := func(v string) {
		if _, err := io.WriteString(stdin, v+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	responses := map[string]rpcLine{}
	await := func(id string) rpcLine {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			if r, ok := responses[id]; ok {
				return r
			}
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("stdout closed before response %s; stderr:\n%s", id, stderr.String())
				}
				var r rpcLine
				if err := json.Unmarshal([]byte(l), &r); err != nil || r.JSONRPC != "2.0" {
					t.Fatalf("stdout carried a non-JSON-RPC line: %q", l)
				}
				responses[string(r.ID)] = r
			case <-deadline:
				t.Fatalf("no response %s; stderr:\n%s", id, stderr.String())
			}
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
	await("1")
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	var list struct {
		Tools []mcp.Tool `json:"tools"`
	}
	if err := json.Unmarshal(await("2").Result, &list); err != nil || len(list.Tools) < 4 {
		t.Fatalf("tools/list: %v %d", err, len(list.Tools))
	}
	send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":{"limit":3}}}`)
	var res mcp.CallToolResult
	if err := json.Unmarshal(await("3").Result, &res); err != nil || res.IsError {
		t.Fatalf("search: %v %+v", err, res)
	}
	// Bad arguments come back as a tool error the model can read.
	send(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"search","arguments":{"limit":500}}}`)
	var bad mcp.CallToolResult
	if err := json.Unmarshal(await("4").Result, &bad); err != nil || !bad.IsError {
		t.Fatalf("out-of-range limit must be a tool error: %v %s", err, responses["4"].Result)
	}
	send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"search","arguments":{"account":"nope"}}}`)
	var unknown mcp.CallToolResult
	if err := json.Unmarshal(await("5").Result, &unknown); err != nil || !unknown.IsError || !strings.Contains(fmt.Sprint(unknown.Content), "demo") {
		t.Fatalf("unknown account must name the valid ones: %v %s", err, responses["5"].Result)
	}
	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after stdin closed: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("did not exit after stdin closed")
	}
	for range lines {
	}
	for _, l := range strings.Split(strings.TrimSpace(raw.String()), "\n") {
		var r rpcLine
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.JSONRPC != "2.0" {
			t.Fatalf("stdout line is not JSON-RPC: %q", l)
		}
	}
	if !strings.Contains(stderr.String(), "demo mail servers up") {
		t.Errorf("logs should reach stderr; got:\n%s", stderr.String())
	}
}

func initialize(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
}

// exercise lists tools, searches the demo INBOX and reads the newest message.
func exercise(t *testing.T, c *client.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tl, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil || len(tl.Tools) < 4 {
		t.Fatalf("tools/list: %v", err)
	}
	call := func(name string, args map[string]any) *mcp.CallToolResult {
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	res := call("search", map[string]any{"limit": 5})
	if res.IsError {
		t.Fatalf("search: %v", res.Content)
	}
	var page struct {
		Messages []struct{ ID, Subject string } `json:"messages"`
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &page); err != nil || len(page.Messages) == 0 {
		t.Fatalf("search returned no demo mail: %s", b)
	}
	msg := call("fetch_message", map[string]any{"id": page.Messages[0].ID, "max_chars": 2000})
	if msg.IsError {
		t.Fatalf("fetch_message: %v", msg.Content)
	}
	text := msg.Content[0].(mcp.TextContent).Text
	if !strings.Contains(text, "EXTERNAL_EMAIL_CONTENT") {
		t.Errorf("message body must be framed as external content:\n%s", text)
	}
}

func TestStdioWithMCPClient(t *testing.T) {
	c, err := client.NewStdioMCPClient(os.Args[0], childEnv(t), "demo")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	exercise(t, c)
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestHTTPStreamableAndSSE(t *testing.T) {
	addr := freeAddr(t)
	cmd := binary(t, "demo", "--http", addr)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	waitHealthy(t, "http://"+addr, stderr)
	t.Run("streamable", func(t *testing.T) {
		c, err := client.NewStreamableHttpClient("http://" + addr + "/mcp")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		initialize(t, c)
		exercise(t, c)
	})
	t.Run("sse", func(t *testing.T) {
		c, err := client.NewSSEMCPClient("http://"+addr+"/sse", transport.WithHTTPClient(&http.Client{}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		initialize(t, c)
		exercise(t, c)
	})
	// SIGTERM: stop, log out, exit 0.
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	if took := time.Since(start); took > 7*time.Second {
		t.Errorf("shutdown took %v; the bound is 5 s plus logout", took)
	}
}

func TestHTTPRefusesNonLoopbackWithoutInsecure(t *testing.T) {
	out, err := binary(t, "demo", "--http", "0.0.0.0:0").CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "loopback") {
		t.Fatalf("want exit 2 explaining loopback, got %v:\n%s", err, out)
	}
}

func TestConfigCheckReportsLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte("[[accounts]]\nid = \"x\"\nemail = \"x@example.org\"\nprovder = \"gmail\"\n"), 0o600)
	out, err := binary(t, "config", "check", "--config", path).CombinedOutput()
	if err == nil || !strings.Contains(string(out), path+":4") || !strings.Contains(string(out), "provder") {
		t.Fatalf("config check must name file:line and key:\n%s", out)
	}
}

func TestVersion(t *testing.T) {
	out, err := binary(t, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "mailmcp ") {
		t.Fatalf("version: %v %q", err, out)
	}
}
