package httpfront

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/metrics"
	"github.com/mailmcp/mailmcp/internal/store"
)

// statusRecorder remembers the status code and size of a response. It
// forwards Flush so streaming (SSE) responses keep working.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// accessLog logs one line per request: method, route, status, size and
// duration. Headers are never logged (Authorization carries the token) and
// neither is the query string (the SSE message endpoint carries the session
// id there).
func accessLog(log *slog.Logger, route string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		metrics.ObserveHTTPRequest(route, rec.code)
		lv := slog.LevelInfo
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			lv = slog.LevelDebug // probes and scrapes would drown the log
		}
		log.Log(r.Context(), lv, "http request", "method", r.Method, "path", r.URL.Path, "status", rec.code,
			"bytes", rec.bytes, "duration", time.Since(start).Round(time.Microsecond), "remote", r.RemoteAddr,
			"user_agent", r.UserAgent())
	})
}

// limitBody refuses bodies larger than max with 413 and bounds what the
// handler can read.
func limitBody(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			http.Error(w, fmt.Sprintf("request body too large (limit %d bytes)", max), http.StatusRequestEntityTooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		next.ServeHTTP(w, r)
	})
}

// sessionTable is the streamable HTTP server's session id manager. It
// knows which sessions are open so their number can be bounded; mcp-go's
// idle sweeper (WithSessionIdleTTL) and client DELETEs end them through
// Terminate. Legacy SSE streams count against the same limit.
type sessionTable struct {
	max int
	mu  sync.Mutex
	ids map[string]struct{}
	sse int
}

const sessionPrefix = "mcp-session-"

func newSessionTable(max int) *sessionTable {
	return &sessionTable{max: max, ids: map[string]struct{}{}}
}

// Generate mints a session id for an initialize request.
func (t *sessionTable) Generate() string {
	id := sessionPrefix + uuid.NewString()
	t.mu.Lock()
	t.ids[id] = struct{}{}
	t.mu.Unlock()
	metrics.AddSessions(1)
	return id
}

// Validate accepts only ids this process minted and has not ended; an
// unknown or expired id makes mcp-go answer 404 so the client
// re-initializes, as the MCP specification says.
func (t *sessionTable) Validate(id string) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.ids[id]; !ok {
		return false, fmt.Errorf("unknown or expired session")
	}
	return false, nil
}

// Terminate ends a session (client DELETE or idle expiry).
func (t *sessionTable) Terminate(id string) (bool, error) {
	t.mu.Lock()
	_, ok := t.ids[id]
	delete(t.ids, id)
	t.mu.Unlock()
	if ok {
		metrics.AddSessions(-1)
	}
	return false, nil
}

// full reports whether no new session may start.
func (t *sessionTable) full() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.max > 0 && len(t.ids)+t.sse >= t.max
}

// count is the number of open sessions and SSE streams.
func (t *sessionTable) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.ids) + t.sse
}

// limitNewSessions answers 503 to an initialize request (or a new SSE
// stream) when the session table is full. It peeks at the bounded body to
// tell initialize from other requests.
func (t *sessionTable) limitNewSessions(log *slog.Logger, next http.Handler) http.Handler {
	refuse := func(w http.ResponseWriter, r *http.Request) {
		log.Warn("session limit reached; refusing a new MCP session", "limit", t.max, "remote", r.RemoteAddr)
		w.Header().Set("Retry-After", "30")
		http.Error(w, fmt.Sprintf("too many MCP sessions (limit %d); close idle clients or raise --max-sessions", t.max), http.StatusServiceUnavailable)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/sse" {
			t.mu.Lock()
			if t.max > 0 && len(t.ids)+t.sse >= t.max {
				t.mu.Unlock()
				refuse(w, r)
				return
			}
			t.sse++
			t.mu.Unlock()
			metrics.AddSessions(1)
			defer func() {
				t.mu.Lock()
				t.sse--
				t.mu.Unlock()
				metrics.AddSessions(-1)
			}()
			next.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodPost && r.URL.Path == "/mcp" && r.Header.Get("Mcp-Session-Id") == "" && t.full() {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, "cannot read request body: "+err.Error(), http.StatusRequestEntityTooLarge)
				return
			}
			var msg struct {
				Method string `json:"method"`
			}
			if json.Unmarshal(body, &msg) == nil && msg.Method == "initialize" {
				refuse(w, r)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// readiness answers /readyz: every account's IMAP server answers a NOOP on
// a pooled connection, and the state directory is writable. Results are
// cached briefly so probes cannot hammer the mail servers.
type readiness struct {
	mail     *imapconn.Manager
	stateDir string
	ttl      time.Duration
	timeout  time.Duration
	log      *slog.Logger
	extra    []ReadyCheck
	info     func() map[string]any

	mu      sync.Mutex // serialises checks: concurrent probes share one
	at      time.Time
	problem map[string]string
}

func newReadiness(mail *imapconn.Manager, stateDir string, log *slog.Logger) *readiness {
	return &readiness{mail: mail, stateDir: stateDir, ttl: 5 * time.Second, timeout: 5 * time.Second, log: log}
}

// check returns the problems by check name ("account:ID", "state_dir");
// an empty map means ready.
func (rd *readiness) check(ctx context.Context) map[string]string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.at.IsZero() && time.Since(rd.at) < rd.ttl {
		return rd.problem
	}
	// A probe that hangs up must not cache a failure for the next one.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rd.timeout)
	defer cancel()
	problems := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, id := range rd.mail.IDs() {
		p, err := rd.mail.Pool(id)
		if err != nil {
			problems["account:"+id] = err.Error()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := p.Do(ctx, imapconn.Op{Name: "readyz", Idempotent: true}, func(ctx context.Context, c *imapconn.Conn) error {
				return c.Client().Noop().Wait()
			})
			if err != nil {
				mu.Lock()
				problems["account:"+id] = err.Error()
				mu.Unlock()
			}
		}()
	}
	for _, c := range rd.extra {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Check(ctx); err != nil {
				mu.Lock()
				problems[c.Name] = err.Error()
				mu.Unlock()
			}
		}()
	}
	stateErr := store.CheckWritable(rd.stateDir)
	wg.Wait()
	if stateErr != nil {
		problems["state_dir"] = stateErr.Error()
	}
	if len(problems) > 0 {
		rd.log.Warn("not ready", "problems", problems)
	}
	rd.at, rd.problem = time.Now(), problems
	return problems
}

// handler serves /readyz. Callers without a valid token learn which checks
// fail; callers with one (or when no token is configured) also get the
// error text.
func (rd *readiness) handler(tokens *tokenSet) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problems := rd.check(r.Context())
		detail := !tokens.enabled() || tokens.valid(r.Header.Get("Authorization"))
		body := map[string]any{"ready": len(problems) == 0}
		if detail && rd.info != nil {
			for k, v := range rd.info() {
				body[k] = v
			}
		}
		if len(problems) > 0 {
			shown := map[string]string{}
			for k, v := range problems {
				if !detail {
					v = "failing (details in the server log, or send the bearer token)"
				}
				shown[k] = v
			}
			body["problems"] = shown
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if len(problems) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(body)
	})
}

// publishPoolStats lets /metrics read m's pool statistics at scrape time.
func publishPoolStats(m *imapconn.Manager) {
	metrics.SetPoolSource(func() map[string]metrics.PoolStats {
		out := map[string]metrics.PoolStats{}
		for _, id := range m.IDs() {
			p, err := m.Pool(id)
			if err != nil {
				continue
			}
			s := p.Stats()
			out[id] = metrics.PoolStats{Open: s.Open, Idle: s.Idle, Dials: s.Dials, Reuses: s.Reuses, Retries: s.Retries, Discards: s.Discards, Waits: s.Waits}
		}
		return out
	})
}

// healthz answers while the process serves HTTP.
func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}
