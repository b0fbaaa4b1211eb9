package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/webhook"
)

// watchRig is a Dovecot account with watch = true and a json webhook to a
// local receiver that verifies the signature.
type watchRig struct {
	stack  *testrig.Stack
	user   testrig.User
	config string
	secret string

	mu       sync.Mutex
	received []webhook.Document
}

func newWatchRig(t *testing.T) *watchRig {
	t.Helper()
	s := testrig.Require(t)
	r := &watchRig{stack: s, user: s.NewUser(t), secret: "e2e-hmac-key"}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if !webhook.Verify([]byte(r.secret), body, req.Header.Get("X-Mailmcp-Signature")) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var d webhook.Document
		if err := json.Unmarshal(body, &d); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.received = append(r.received, d)
		r.mu.Unlock()
	}))
	t.Cleanup(recv.Close)
	dir := t.TempDir()
	for name, content := range map[string]string{"password": r.user.Password, "hmac": r.secret} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.config = filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`state_dir = %q

[[accounts]]
id = "work"
email = %q
provider = "generic"
password_file = %q
ca_file = %q
watch = true
imap = { host = %q, port = %d, tls = "implicit" }
smtp = { host = %q, port = %d, tls = "implicit" }

[[webhooks]]
name = "receiver"
url = %q
format = "json"
secret_file = %q
`, filepath.Join(dir, "state"), r.user.Email, filepath.Join(dir, "password"), s.CAFile, s.Host, s.IMAPSPort, s.Host, s.SubmissionsPort,
		recv.URL+"/mail", filepath.Join(dir, "hmac"))
	if err := os.WriteFile(r.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *watchRig) deliver(t *testing.T, subject string) {
	t.Helper()
	msg := "From: Pat <pat@example.org>\r\nTo: " + r.user.Email + "\r\nSubject: " + subject + "\r\n\r\nAbout " + subject + ".\r\n"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.stack.DeliverLMTP(ctx, "pat@example.org", []string{r.user.Email}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func (r *watchRig) waitWebhook(t *testing.T, subject string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, doc := range r.received {
			if doc.Event.Subject() == subject {
				r.mu.Unlock()
				return
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no webhook for %q within %s", subject, d)
}

// TestDaemonWatchesAndPostsWebhooks: serve --http watches the account from
// the start, posts signed webhooks, and watch_inbox over HTTP returns new
// mail from the running watcher.
func TestDaemonWatchesAndPostsWebhooks(t *testing.T) {
	r := newWatchRig(t)
	addr := freeAddr(t)
	cmd := binary(t, "serve", "--config", r.config, "--http", addr)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	waitHealthy(t, "http://"+addr, stderr)
	// No tool call is needed: the daemon watches by itself.
	time.Sleep(time.Second)
	r.deliver(t, "Daemon one")
	r.waitWebhook(t, "Daemon one", 15*time.Second)

	c, err := client.NewStreamableHttpClient("http://" + addr + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "watch_inbox"
		req.Params.Arguments = map[string]any{"timeout_seconds": 20}
		res, err := c.CallTool(context.Background(), req)
		if err != nil {
			t.Errorf("watch_inbox: %v", err)
		}
		done <- res
	}()
	time.Sleep(time.Second)
	r.deliver(t, "Daemon two")
	select {
	case res := <-done:
		if res == nil || res.IsError || !strings.Contains(fmt.Sprint(res.StructuredContent), "Daemon two") {
			t.Fatalf("watch_inbox: %+v", res)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("watch_inbox did not return")
	}
	r.waitWebhook(t, "Daemon two", 15*time.Second)
	r.mu.Lock()
	n := len(r.received)
	r.mu.Unlock()
	if n != 2 {
		t.Errorf("%d webhooks, want 2", n)
	}
}
