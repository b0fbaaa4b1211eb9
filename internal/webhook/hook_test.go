package webhook

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// receiver is a local webhook endpoint whose answer the test controls and
// which records what it accepted.
type receiver struct {
	t      testing.TB
	secret []byte
	ln     net.Listener
	srv    *http.Server
	addr   string

	mu       sync.Mutex
	status   int              // answer (200 when 0)
	header   http.Header      // extra headers of the answer
	accepted map[string]int   // idempotency key → times accepted
	docs     []Document       // accepted json documents
	bodies   []map[string]any // accepted openclaw bodies
	reqs     []*http.Request  // every request seen
	raw      [][]byte
	arrived  chan time.Time
}

func newReceiver(t testing.TB, secret string) *receiver {
	r := &receiver{t: t, secret: []byte(secret), accepted: map[string]int{}, arrived: make(chan time.Time, 1000)}
	r.listen("127.0.0.1:0")
	t.Cleanup(r.stop)
	return r
}

func (r *receiver) listen(addr string) {
	var err error
	for i := 0; i < 50; i++ {
		if r.ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = r.ln.Addr().String()
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}
	go r.srv.Serve(r.ln)
}

func (r *receiver) stop() { r.srv.Close() }

func (r *receiver) set(status int, h http.Header) {
	r.mu.Lock()
	r.status, r.header = status, h
	r.mu.Unlock()
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reqs = append(r.reqs, req)
	for k, v := range r.header {
		w.Header()[k] = v
	}
	if r.status != 0 && r.status != 200 {
		w.WriteHeader(r.status)
		return
	}
	if len(r.secret) > 0 && !Verify(r.secret, body, req.Header.Get("X-Mailmcp-Signature")) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	key := req.Header.Get("Idempotency-Key")
	r.accepted[key]++
	r.raw = append(r.raw, body)
	if len(r.secret) > 0 {
		var d Document
		if err := json.Unmarshal(body, &d); err != nil {
			r.t.Errorf("bad document: %v", err)
		}
		r.docs = append(r.docs, d)
	} else {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		r.bodies = append(r.bodies, m)
	}
	r.arrived <- time.Now()
	w.Write([]byte(`{"ok":true,"runId":"r1"}`))
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.raw)
}

func (r *receiver) waitCount(n int, d time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(d)
	for r.count() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := r.count(); got < n {
		r.t.Fatalf("receiver accepted %d of %d", got, n)
	}
}

func fastOpts() Options {
	return Options{Timeout: 2 * time.Second, RetryMin: 30 * time.Millisecond, RetryMax: 200 * time.Millisecond, Poll: 50 * time.Millisecond}
}

func messageEvent(id uint64, from, subject string) watch.Event {
	return watch.Event{ID: id, Kind: watch.KindMessage, Account: "work", Folder: "INBOX", UIDValidity: 7, UID: uint32(id),
		MessageID: "m1.x", Snippet: "hello", Body: strings.Repeat("b", 50), Flags: []string{},
		Envelope: &imapconn.Envelope{Subject: subject, From: []imapconn.Address{{Name: "A", Email: from}}}}
}

func enqueue(t testing.TB, st store.Store, h *Hook, evs ...watch.Event) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx store.Tx) error { return h.Enqueue(tx, evs) }); err != nil {
		t.Fatal(err)
	}
	h.Kick()
}

func runHook(t testing.TB, h *Hook, st store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.Run(ctx, st) }()
	t.Cleanup(func() { cancel(); <-done })
}

func openStore(t testing.TB) store.Store {
	st := statetest.Open(t, t.TempDir())
	return st
}

func TestOpenClawRequest(t *testing.T) {
	r := newReceiver(t, "")
	st := openStore(t)
	h := New(Config{Name: "oc", URL: "http://" + r.addr + "/hooks/agent", Format: config.WebhookOpenClaw,
		Token: "hook-token", AgentID: "main", TimeoutSeconds: 120}, fastOpts(), nil)
	runHook(t, h, st)
	enqueue(t, st, h, messageEvent(5, "alice@example.test", "Quarterly numbers"))
	r.waitCount(1, 5*time.Second)
	req := r.reqs[0]
	if req.URL.Path != "/hooks/agent" || req.Header.Get("Authorization") != "Bearer hook-token" || req.Header.Get("Idempotency-Key") != "mailmcp-oc-5" {
		t.Fatalf("request: %s %v", req.URL.Path, req.Header)
	}
	b := r.bodies[0]
	if b["name"] != "Email" || b["deliver"] != false || b["agentId"] != "main" || b["timeoutSeconds"] != float64(120) {
		t.Fatalf("body: %v", b)
	}
	msg, _ := b["message"].(string)
	for _, want := range []string{"alice@example.test", "Quarterly numbers", "m1.x", "hello"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "bbbb") {
		t.Errorf("body sent without include_body:\n%s", msg)
	}
}

func TestJSONSignedAndFiltered(t *testing.T) {
	r := newReceiver(t, "s3cret")
	st := openStore(t)
	h := New(Config{Name: "j", URL: "http://" + r.addr + "/in", Format: config.WebhookJSON, Secret: "s3cret",
		Senders: []string{"@example.test"}, IncludeBody: true, BodyChars: 10}, fastOpts(), nil)
	runHook(t, h, st)
	enqueue(t, st, h, messageEvent(1, "bob@elsewhere.test", "not allowed"), messageEvent(2, "ann@example.test", "allowed"))
	r.waitCount(1, 5*time.Second)
	time.Sleep(200 * time.Millisecond)
	if r.count() != 1 {
		t.Fatalf("sender allowlist not applied: %d deliveries", r.count())
	}
	d := r.docs[0]
	if d.Version != 1 || d.Event.ID != 2 || d.Event.Subject() != "allowed" || d.Event.Body != strings.Repeat("b", 10)+"…" {
		t.Fatalf("document: %+v", d)
	}
	req := r.reqs[0]
	if req.Header.Get("X-Mailmcp-Timestamp") == "" || req.Header.Get("X-Mailmcp-Event") != "2" {
		t.Fatalf("headers: %v", req.Header)
	}
}

// TestGiveUpOn4xx: a 400 is a configuration problem: no retry.
func TestGiveUpOn4xx(t *testing.T) {
	r := newReceiver(t, "")
	r.set(http.StatusBadRequest, nil)
	st := openStore(t)
	h := New(Config{Name: "g", URL: "http://" + r.addr, Format: config.WebhookOpenClaw, Token: "t"}, fastOpts(), nil)
	runHook(t, h, st)
	enqueue(t, st, h, messageEvent(1, "a@example.test", "x"))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := h.Pending(context.Background(), st); n == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	r.mu.Lock()
	n := len(r.reqs)
	r.mu.Unlock()
	if p, _ := h.Pending(context.Background(), st); p != 0 || n != 1 {
		t.Fatalf("pending %d, requests %d; want 0 and 1", p, n)
	}
}

// TestRetryAfterHonoured: 429 with Retry-After: 1 waits about a second.
func TestRetryAfterHonoured(t *testing.T) {
	r := newReceiver(t, "")
	r.set(http.StatusTooManyRequests, http.Header{"Retry-After": {"1"}})
	st := openStore(t)
	h := New(Config{Name: "ra", URL: "http://" + r.addr, Format: config.WebhookOpenClaw, Token: "t"}, fastOpts(), nil)
	runHook(t, h, st)
	enqueue(t, st, h, messageEvent(1, "a@example.test", "x"))
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		n := len(r.reqs)
		r.mu.Unlock()
		if n >= 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	first := time.Now()
	r.set(200, nil)
	r.waitCount(1, 5*time.Second)
	if d := time.Since(first); d < 700*time.Millisecond {
		t.Fatalf("retried after %s despite Retry-After: 1", d)
	}
}

func TestCheckURL(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://hooks.example.com/x":          true,
		"http://127.0.0.1:18789/hooks/agent":   true,
		"http://localhost/x":                   true,
		"http://[::1]:8080/x":                  true,
		"http://example.com/x":                 false,
		"ftp://127.0.0.1/x":                    false,
		"https://u:p@example.com/":             false,
		"http://127.0.0.1:18789/hooks?token=x": false,
	} {
		if err := config.CheckWebhookURL(url); (err == nil) != ok {
			t.Errorf("%s: %v", url, err)
		}
	}
}
