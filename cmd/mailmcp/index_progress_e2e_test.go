package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/tools"
)

// progressMailbox is the size of the INBOX whose backfill is announced:
// several seconds of backfill, so that the client is connected before it
// ends.
const progressMailbox = 6000

// indexedAccount populates a Dovecot INBOX and writes a config with an
// indexed account "work" for it.
func indexedAccount(t *testing.T) (cfgPath string, u testrig.User) {
	t.Helper()
	s := testrig.Require(t)
	u = s.NewUser(t)
	s.Populate(t, u, "INBOX", progressMailbox)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte(u.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath = filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`state_dir = %q
log_level = "debug"

[[accounts]]
id = "work"
email = %q
provider = "generic"
password_file = %q
ca_file = %q
index = true
imap = { host = %q, port = %d, tls = "implicit" }
smtp = { host = %q, port = %d, tls = "implicit" }
`, filepath.Join(dir, "state"), u.Email, filepath.Join(dir, "password"), s.CAFile, s.Host, s.IMAPSPort, s.Host, s.SubmissionsPort)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, u
}

// watchIndexProgress starts c, initializes it with the last protocol that
// has logging/setLevel (2025-11-25; 2026-07-28 declares levels per request,
// and a backfill is part of no request), sets the level to info and
// checks the announcements of INBOX's backfill that arrive: a bounded
// number, the last one done with every message, none going backwards, and
// none carrying the address, password, subjects or text of the mail.
func watchIndexProgress(t *testing.T, c *client.Client, u testrig.User) {
	t.Helper()
	var mu sync.Mutex
	var raw []string
	var got []tools.IndexProgressData
	done := make(chan struct{})
	c.OnNotification(func(nt mcp.JSONRPCNotification) {
		if nt.Method != string(mcp.MethodNotificationMessage) {
			return
		}
		b, _ := json.Marshal(nt)
		var m struct {
			Params struct {
				Level  string                  `json:"level"`
				Logger string                  `json:"logger"`
				Data   tools.IndexProgressData `json:"data"`
			} `json:"params"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("notification %s: %v", b, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		raw = append(raw, string(b))
		if m.Params.Logger != tools.IndexLogger || m.Params.Level != "info" {
			t.Errorf("unexpected log notification %s", b)
			return
		}
		got = append(got, m.Params.Data)
		if d := m.Params.Data; d.Folder == "INBOX" && d.Done {
			close(done)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Start's context bounds the HTTP client's standalone GET stream: it
	// lasts the test, not one request.
	life, end := context.WithCancel(context.Background())
	defer end()
	if err := c.Start(life); err != nil { // installs the notification handler
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	//lint:ignore SA1019 logging is deprecated from 2026-07-28 on; clients of earlier revisions use it, and the backfill announcements are for them
	if err := c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevelInfo}}); err != nil {
		t.Fatalf("logging/setLevel: %v", err)
	}
	select {
	case <-done:
	case <-time.After(120 * time.Second):
		mu.Lock()
		t.Fatalf("no final backfill announcement for INBOX; got %d: %v", len(raw), raw)
	}
	time.Sleep(200 * time.Millisecond) // anything sent after the end
	mu.Lock()
	defer mu.Unlock()
	var inbox []tools.IndexProgressData
	for _, d := range got {
		if d.Event != "index_backfill" || d.Account != "work" {
			t.Errorf("announcement %+v", d)
		}
		if d.Folder == "INBOX" {
			inbox = append(inbox, d)
		}
	}
	t.Logf("%d announcements for INBOX: %+v", len(inbox), inbox)
	if len(inbox) < 2 || len(inbox) > 14 {
		t.Errorf("%d announcements of INBOX's backfill, want 2 (progress when the level was set, and the end) to 14", len(inbox))
	}
	last := inbox[len(inbox)-1]
	if !last.Done || last.Indexed != progressMailbox || last.Total != progressMailbox || !strings.Contains(last.Message, "indexed INBOX") {
		t.Errorf("last announcement %+v", last)
	}
	if !slices.IsSortedFunc(inbox, func(a, b tools.IndexProgressData) int { return a.Indexed - b.Indexed }) {
		t.Errorf("announcements go backwards: %+v", inbox)
	}
	if inbox[0].Done || inbox[0].Indexed >= progressMailbox {
		t.Errorf("the first announcement should be of a running backfill: %+v", inbox[0])
	}
	for _, r := range raw {
		for _, secret := range []string{u.Email, u.Password, "Message 1", "generated message", "sender@example.test"} {
			if strings.Contains(r, secret) {
				t.Errorf("announcement carries %q: %s", secret, r)
			}
		}
	}
}

// TestIndexBackfillNotifications: through a real MCP client over stdio, a
// client that sets logging/setLevel to info is told how the backfill of an
// indexed account advances (notifications/message from the logger
// "mailmcp.index"): at once when it sets the level mid-backfill, then a
// bounded number, ending with the folder done.
func TestIndexBackfillNotifications(t *testing.T) {
	cfgPath, u := indexedAccount(t)
	c, err := client.NewStdioMCPClient(os.Args[0], childEnv(t), "serve", "--config", cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if os.Getenv("MAILMCP_TEST_LOG") != "" {
		if r, ok := client.GetStderr(c); ok {
			go io.Copy(os.Stderr, r)
		}
	}
	watchIndexProgress(t, c, u)
}

// TestIndexBackfillNotificationsHTTP: the same over streamable HTTP, the
// client keeping a GET stream open for notifications outside requests.
func TestIndexBackfillNotificationsHTTP(t *testing.T) {
	cfgPath, u := indexedAccount(t)
	cfg, err := config.Load(config.Options{Path: cfgPath, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng, s, stopEngine, err := startEngine(cfg, log, false, false, &callGate{})
	if err != nil {
		t.Fatal(err)
	}
	var f serveFlags
	_ = newFlagSetForTest(&f).Parse(nil)
	f.httpAddr = "127.0.0.1:0"
	fe, err := newHTTPFrontend(s, f, eng, log, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(fe.Handler())
	defer func() {
		ts.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		fe.Close(ctx)
		stopEngine()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	}()
	//lint:ignore SA1019 the standalone GET stream is how clients of 2025-11-25 and before receive notifications outside requests
	c, err := client.NewStreamableHttpClient(ts.URL+"/mcp", transport.WithContinuousListening())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	watchIndexProgress(t, c, u)
}
