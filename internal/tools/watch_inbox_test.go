package tools

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// watchHub gives the harness an on-demand watcher hub over a fresh state
// directory, as a stdio process without a daemon has.
func watchHub(t *testing.T, h *harness) *watch.Hub {
	t.Helper()
	st := statetest.Open(t, t.TempDir())
	p, err := h.Mail.Pool("demo")
	if err != nil {
		t.Fatal(err)
	}
	feed := watch.NewFeed(st, watch.FeedOptions{})
	hub := watch.NewHub(feed, []watch.Target{{Account: p.Account(), Options: watch.Options{BackoffMin: 50 * time.Millisecond}}},
		watch.HubOptions{Log: testWatchLog()})
	t.Cleanup(hub.Close)
	h.Deps.Watch = hub
	return hub
}

// sendDemo submits a message through the demo's SMTP service, which
// delivers it to INBOX.
func sendDemo(t *testing.T, srv *demo.Server, subject string) {
	t.Helper()
	c, err := smtp.Dial(srv.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", demo.Email, demo.Password)); err != nil {
		t.Fatal(err)
	}
	msg := "From: Erin <erin@" + demo.Domain + ">\r\nTo: " + demo.Email + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@x>\r\n\r\nPlease look at " + subject + ".\r\n"
	if err := c.SendMail("erin@"+demo.Domain, []string{demo.Email}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
}

func decodeWatch(t *testing.T, res *mcp.CallToolResult) WatchResult {
	t.Helper()
	if res.IsError {
		t.Fatalf("watch_inbox failed: %s", resultText(res))
	}
	var r WatchResult
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWatchInboxTimesOutEmpty(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	watchHub(t, h)
	start := time.Now()
	r := decodeWatch(t, h.Call("watch_inbox", map[string]any{"timeout_seconds": 1}))
	if !r.TimedOut || len(r.Events) != 0 || r.Cursor == "" || len(r.Watching) != 1 || r.Watching[0] != "demo/INBOX" {
		t.Fatalf("result: %+v", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a 1 s wait took %s", d)
	}
}

func TestWatchInboxReturnsNewMessage(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	watchHub(t, h)
	type out struct {
		res *mcp.CallToolResult
	}
	done := make(chan out, 1)
	go func() {
		done <- out{h.CallCtx(context.Background(), "watch_inbox", map[string]any{"timeout_seconds": 20}, "tok-1")}
	}()
	time.Sleep(1500 * time.Millisecond) // the call is waiting (with progress) by now
	sendDemo(t, h.Demo, "Budget review")
	var r WatchResult
	select {
	case o := <-done:
		r = decodeWatch(t, o.res)
	case <-time.After(15 * time.Second):
		t.Fatal("watch_inbox did not return after new mail arrived")
	}
	if r.TimedOut || len(r.Events) != 1 {
		t.Fatalf("result: %+v", r)
	}
	e := r.Events[0]
	if e.Kind != watch.KindMessage || e.Subject() != "Budget review" || !strings.HasPrefix(e.MessageID, "m1.") || !strings.Contains(e.Snippet, "Please look at Budget review") {
		t.Fatalf("event: %+v", e)
	}
	// The id works with the other tools.
	h.OK("fetch_message", map[string]any{"id": e.MessageID})
	if len(h.Progress()) == 0 {
		t.Errorf("no progress notification while waiting")
	}

	// Mail that arrives between calls is returned at once from the cursor,
	// and nothing is repeated.
	sendDemo(t, h.Demo, "Second thing")
	sendDemo(t, h.Demo, "Third thing")
	var got []string
	cursor := r.Cursor
	for len(got) < 2 {
		r2 := decodeWatch(t, h.Call("watch_inbox", map[string]any{"since": cursor, "timeout_seconds": 10}))
		if r2.TimedOut {
			t.Fatalf("timed out with %v", got)
		}
		for _, e := range r2.Events {
			got = append(got, e.Subject())
		}
		cursor = r2.Cursor
	}
	if strings.Join(got, ",") != "Second thing,Third thing" {
		t.Fatalf("got %v", got)
	}
	r3 := decodeWatch(t, h.Call("watch_inbox", map[string]any{"since": cursor, "timeout_seconds": 1}))
	if !r3.TimedOut || len(r3.Events) != 0 {
		t.Fatalf("repeated events: %+v", r3)
	}

	// Filters: from and unseen.
	sendDemo(t, h.Demo, "Filtered")
	r4 := decodeWatch(t, h.Call("watch_inbox", map[string]any{"since": cursor, "timeout_seconds": 5, "from": "nobody-like-this"}))
	if !r4.TimedOut {
		t.Fatalf("from filter ignored: %+v", r4)
	}
	r5 := decodeWatch(t, h.Call("watch_inbox", map[string]any{"since": cursor, "timeout_seconds": 5, "from": "erin", "unseen": true}))
	if len(r5.Events) != 1 || r5.Events[0].Subject() != "Filtered" {
		t.Fatalf("filtered: %+v", r5)
	}
}

func TestWatchInboxCancelledPromptly(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	watchHub(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	start := time.Now()
	req := mcp.CallToolRequest{}
	req.Params.Name = "watch_inbox"
	req.Params.Arguments = map[string]any{"timeout_seconds": 30}
	_, _ = h.Client.CallTool(ctx, req)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cancelled call returned after %s", d)
	}
}

func TestWatchInboxBadCursor(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	watchHub(t, h)
	if msg := h.Fail("watch_inbox", map[string]any{"since": "yesterday"}); !strings.Contains(msg, "cursor") {
		t.Fatalf("message: %s", msg)
	}
}

// TestFolderResourceUpdated: a subscribed client is told when the watched
// folder changes, and reading the resource summarises the new mail.
func TestFolderResourceUpdated(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	hub := watchHub(t, h)
	s := server.NewMCPServer("mailmcp-test", "test")
	Register(s, h.Deps, Options{})
	RegisterResources(s, h.Deps)
	c, err := client.NewInProcessClient(s)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	updated := make(chan string, 10)
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == mcp.MethodNotificationResourceUpdated {
			uri, _ := n.Params.AdditionalFields["uri"].(string)
			updated <- uri
		}
	})
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	// resources/subscribe exists up to 2025-11-25; 2026-07-28 replaced it
	// with subscriptions/listen, which mcp-go's sessions cannot serve.
	init.Params.ProtocolVersion = "2025-11-25"
	init.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "t"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
	if err != nil || len(list.Resources) != 1 || list.Resources[0].URI != "mail://demo/INBOX" {
		t.Fatalf("resources: %+v %v", list, err)
	}
	sub := mcp.SubscribeRequest{}
	sub.Params.URI = "mail://demo/INBOX"
	//lint:ignore SA1019 the deprecated resources/subscribe is the protocol version under test (see above)
	if err := c.Subscribe(ctx, sub); err != nil {
		t.Fatal(err)
	}
	w, release, err := hub.Acquire("demo", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	select {
	case <-w.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("watcher not ready")
	}
	sendDemo(t, h.Demo, "Resource news")
	select {
	case uri := <-updated:
		if uri != "mail://demo/INBOX" {
			t.Fatalf("updated %q", uri)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notifications/resources/updated")
	}
	rr := mcp.ReadResourceRequest{}
	rr.Params.URI = "mail://demo/INBOX"
	res, err := c.ReadResource(ctx, rr)
	if err != nil || len(res.Contents) != 1 {
		t.Fatalf("read: %v %v", res, err)
	}
	if text := res.Contents[0].(mcp.TextResourceContents).Text; !strings.Contains(text, "Resource news") {
		t.Fatalf("summary lacks the new mail:\n%s", text)
	}
}

func testWatchLog() *slog.Logger {
	if os.Getenv("WATCH_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// TestWatchInboxFolderRoles (issue 16, roles everywhere): watch_inbox
// takes a folder role as move and search do, and a misspelt folder is a
// not-found naming the folders there are, at once, rather than a watcher
// that cannot start.
func TestWatchInboxFolderRoles(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	watchHub(t, h)
	r := decodeWatch(t, h.Call("watch_inbox", map[string]any{"folders": []any{"sent", "inbox"}, "timeout_seconds": 1}))
	if !r.TimedOut || len(r.Watching) != 2 || r.Watching[0] != "demo/Sent" || r.Watching[1] != "demo/INBOX" {
		t.Fatalf("result: %+v", r)
	}
	start := time.Now()
	msg := h.Fail("watch_inbox", map[string]any{"folders": []any{"Snet"}, "timeout_seconds": 1})
	if !strings.Contains(msg, `"Snet"`) || !strings.Contains(msg, "Sent") {
		t.Fatalf("message: %s", msg)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("a misspelt folder took %s to refuse", d)
	}
}
