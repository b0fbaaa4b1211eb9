package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/spf13/pflag"

	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/httpfront"
)

const (
	testToken  = "tok-0123456789abcdef-first"
	testToken2 = "tok-fedcba9876543210-second"
)

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type httpRig struct {
	url  string
	logs *syncBuffer
	srv  *demo.Server
	eng  *engine
}

// startHTTP serves the demo mailbox through the real HTTP frontend on a
// loopback httptest server. env stands in for the process environment.
func startHTTP(t *testing.T, env map[string]string, mutate func(*serveFlags)) *httpRig {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := demo.Start(demo.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	// The same start-up as serve: engine, outbox, MCP server, watching.
	eng, s, stopEngine, err := startEngine(demoConfig(srv, t.TempDir()), log, false, false, &callGate{})
	if err != nil {
		t.Fatal(err)
	}
	var f serveFlags
	fs := newFlagSetForTest(&f)
	_ = fs.Parse(nil)
	f.httpAddr = "127.0.0.1:0"
	if mutate != nil {
		mutate(&f)
	}
	fe, err := newHTTPFrontend(s, f, eng, log, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(fe.Handler())
	t.Cleanup(func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		fe.Close(ctx)
		stopEngine()
		_ = srv.Close(ctx)
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &httpRig{url: ts.URL, logs: logs, srv: srv, eng: eng}
}

func tokenFile(t *testing.T, tokens ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte("# mailmcp tokens\n\n"+strings.Join(tokens, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func get(t *testing.T, url string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func mcpClient(t *testing.T, url, token string) (*client.Client, error) {
	t.Helper()
	var opts []transport.StreamableHTTPCOption
	if token != "" {
		opts = append(opts, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	c, err := client.NewStreamableHttpClient(url+"/mcp", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = "2025-06-18"
	req.Params.ClientInfo = mcp.Implementation{Name: "httptest", Version: "1"}
	_, err = c.Initialize(ctx, req)
	return c, err
}

func TestHTTPBearerAuth(t *testing.T) {
	rig := startHTTP(t, map[string]string{httpfront.EnvTokenFile: tokenFile(t, testToken, testToken2)}, nil)
	for _, path := range []string{"/mcp", "/sse", "/message", "/metrics"} {
		resp, _ := get(t, rig.url+path, nil)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="mailmcp"` {
			t.Errorf("%s without token: %d %q", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		resp, _ = get(t, rig.url+path, map[string]string{"Authorization": "Bearer " + testToken + "x"})
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
			t.Errorf("%s with a wrong token: %d %q", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if resp, _ := get(t, rig.url+"/healthz", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz must not need a token: %d", resp.StatusCode)
	}
	if resp, body := get(t, rig.url+"/metrics", map[string]string{"Authorization": "bearer " + testToken2}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "mailmcp_") {
		t.Errorf("/metrics with the second token: %d", resp.StatusCode)
	}
	if _, err := mcpClient(t, rig.url, ""); err == nil {
		t.Error("an MCP client without the token must not initialize")
	}
	c, err := mcpClient(t, rig.url, testToken)
	if err != nil {
		t.Fatalf("initialize with the token: %v", err)
	}
	exercise(t, c)
	for _, tok := range []string{testToken, testToken2, "Bearer"} {
		if strings.Contains(rig.logs.String(), tok) && tok != "Bearer" {
			t.Errorf("the server log contains a token")
		}
	}
	if !strings.Contains(rig.logs.String(), "unauthorized request") || !strings.Contains(rig.logs.String(), "http request") {
		t.Errorf("refusals and requests should be logged:\n%s", rig.logs.String())
	}
}

func TestHTTPOriginValidation(t *testing.T) {
	rig := startHTTP(t, nil, func(f *serveFlags) { f.http.AllowOrigins = []string{"https://app.example.com"} })
	cases := []struct {
		origin, host string
		want         int
	}{
		{"https://evil.example", "", http.StatusForbidden},
		{"null", "", http.StatusForbidden},
		{"http://localhost:5173", "", http.StatusOK},
		{"http://127.0.0.1:8080", "", http.StatusOK},
		{"https://app.example.com", "", http.StatusOK},
		{"", "rebound.evil.example", http.StatusForbidden},
		{"", "", http.StatusOK},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(http.MethodGet, rig.url+"/metrics", nil)
		if c.origin != "" {
			req.Header.Set("Origin", c.origin)
		}
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("origin %q host %q: %d, want %d", c.origin, c.host, resp.StatusCode, c.want)
		}
	}
	// A cross-site POST to /mcp never reaches the MCP server.
	req, _ := http.NewRequest(http.MethodPost, rig.url+"/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}`))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site initialize: %d", resp.StatusCode)
	}
}

func TestHTTPHealthReadyMetrics(t *testing.T) {
	rig := startHTTP(t, map[string]string{httpfront.EnvToken: testToken}, nil)
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	// The registry is process-wide: counters carry over from earlier runs
	// (-count=N), so compare against what they read before.
	const toolErrors, readyOK = `mailmcp_tool_calls_total{outcome="tool_error",tool="fetch_message"}`, `mailmcp_http_requests_total{code="200",route="/readyz"}`
	_, before := get(t, rig.url+"/metrics", auth)
	if resp, body := get(t, rig.url+"/healthz", nil); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", resp.StatusCode, body)
	}
	resp, body := get(t, rig.url+"/readyz", nil)
	if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"ready":true}` {
		t.Errorf("/readyz on a healthy demo: %d %s", resp.StatusCode, body)
	}
	c, err := mcpClient(t, rig.url, testToken)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, c)
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = "fetch_message", map[string]any{"id": "m1.nonsense"}
	if _, err := c.CallTool(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	_, body = get(t, rig.url+"/metrics", auth)
	for _, want := range []string{
		`mailmcp_tool_calls_total{outcome="ok",tool="search"}`,
		`mailmcp_tool_call_duration_seconds_bucket{tool="search",le="+Inf"}`,
		`mailmcp_imap_connections{account="demo",state="open"}`,
		`mailmcp_imap_dials_total{account="demo"}`,
		`mailmcp_mcp_sessions`,
		`mailmcp_outbox_queue_size{account="demo"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, m := range []string{toolErrors, readyOK} {
		if got, was := metricValue(body, m), metricValue(before, m); got != was+1 {
			t.Errorf("%s went from %v to %v, want one more", m, was, got)
		}
	}
}

// metricValue reads one sample from Prometheus text output (0 if absent).
func metricValue(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

func TestHTTPLimits(t *testing.T) {
	rig := startHTTP(t, nil, func(f *serveFlags) { f.http.MaxSessions = 1; f.http.MaxBody = 2048 })
	first, err := mcpClient(t, rig.url, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mcpClient(t, rig.url, ""); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("a second session beyond --max-sessions 1 must be refused with 503: %v", err)
	}
	first.Close() // DELETE ends the session
	if _, err := mcpClient(t, rig.url, ""); err != nil {
		t.Errorf("a session must be possible again after the first closed: %v", err)
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","pad":"` + strings.Repeat("x", 4096) + `"}`
	resp, err := http.Post(rig.url+"/mcp", "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", resp.StatusCode)
	}
}

func newFlagSetForTest(f *serveFlags) *pflag.FlagSet {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	f.register(fs)
	return fs
}
