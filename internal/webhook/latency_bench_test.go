package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/tools"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// BenchmarkNewMailLatency measures, per message delivered over LMTP to a
// real Dovecot, how long until (a) watch_inbox, called through MCP and
// already waiting, returns it and (b) the json webhook POST reaches a local
// receiver. "e2e" starts when LMTP acknowledged the delivery (it includes
// Dovecot's own ~0.5 s IDLE notification delay); "own" starts when the
// untagged EXISTS reached mailmcp (the event's observed_at).
//
//	go test -run '^$' -bench NewMailLatency -benchtime 50x ./webhook
func BenchmarkNewMailLatency(b *testing.B) {
	s := testrig.Require(b)
	u := s.NewUser(b)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	arrived := map[uint64]time.Time{}
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var d Document
		_ = json.NewDecoder(r.Body).Decode(&d)
		mu.Lock()
		arrived[d.Event.ID] = at
		mu.Unlock()
	}))
	defer recv.Close()

	acct := dovecotAccount(s, u)
	feed := watch.NewFeed(st, watch.FeedOptions{})
	h := New(Config{Name: "bench", URL: recv.URL, Format: config.WebhookJSON, Secret: "k"}, Options{}, log)
	h.Attach(feed)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx, st)
	hub := watch.NewHub(feed, []watch.Target{{Account: acct, Always: true}}, watch.HubOptions{Log: log})
	defer hub.Close()
	hub.Start()
	mgr := imapconn.NewManager([]*imapconn.Account{acct}, log)
	defer mgr.Close(context.Background())
	deps := &tools.Deps{Mail: mgr, Log: log, Watch: hub, Accounts: []tools.AccountInfo{{ID: acct.ID, Email: acct.Email}}}
	srv := server.NewMCPServer("bench", "bench", server.WithToolCapabilities(false))
	tools.Register(srv, deps, tools.Options{ReadOnly: true})
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "bench", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		b.Fatal(err)
	}
	call := func(since string) tools.WatchResult {
		req := mcp.CallToolRequest{}
		req.Params.Name = "watch_inbox"
		req.Params.Arguments = map[string]any{"timeout_seconds": 10, "account": acct.ID}
		if since != "" {
			req.Params.Arguments.(map[string]any)["since"] = since
		}
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			b.Fatalf("watch_inbox: %v %v", err, res)
		}
		var r tools.WatchResult
		raw, _ := json.Marshal(res.StructuredContent)
		_ = json.Unmarshal(raw, &r)
		return r
	}
	cursor := call("").Cursor // after the watcher caught up; times out empty
	var toolE2E, toolOwn, hookE2E, hookOwn []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		type result struct {
			r  tools.WatchResult
			at time.Time
		}
		done := make(chan result, 1)
		go func() { r := call(cursor); done <- result{r, time.Now()} }()
		time.Sleep(20 * time.Millisecond) // the call is waiting
		subject := fmt.Sprintf("Latency %d", i)
		deliver(b, s, u, subject)
		acked := time.Now()
		res := <-done
		if len(res.r.Events) != 1 || res.r.Events[0].Subject() != subject {
			b.Fatalf("got %+v", res.r.Events)
		}
		e := res.r.Events[0]
		cursor = res.r.Cursor
		toolE2E = append(toolE2E, res.at.Sub(acked))
		toolOwn = append(toolOwn, res.at.Sub(e.Observed))
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			at, ok := arrived[e.ID]
			mu.Unlock()
			if ok {
				hookE2E = append(hookE2E, at.Sub(acked))
				hookOwn = append(hookOwn, at.Sub(e.Observed))
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("webhook for event %d never arrived", e.ID)
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	report := func(name string, ds []time.Duration) {
		slices.Sort(ds)
		p := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
		b.ReportMetric(p(0.5), name+"-p50-ms")
		b.ReportMetric(p(0.99), name+"-p99-ms")
	}
	report("tool-e2e", toolE2E)
	report("tool-own", toolOwn)
	report("hook-e2e", hookE2E)
	report("hook-own", hookOwn)
}
