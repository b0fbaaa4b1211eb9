package httpfront

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

const testToken = "tok-0123456789abcdef-first"

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

// downAccount is a manager of one account whose IMAP server has gone:
// its port was listened on and closed.
func downAccount(t *testing.T) *imapconn.Manager {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	a := &imapconn.Account{ID: "demo", Email: "demo@example.org", MaxConns: 1, DialTimeout: 2 * time.Second,
		IMAP: imapconn.Endpoint{Host: "127.0.0.1", Port: port, TLS: "plain"},
		Auth: &auth.PasswordLogin{Username: "demo", Source: auth.SecretSource{Command: "printf %s demo"}}}
	m := imapconn.NewManager([]*imapconn.Account{a}, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	return m
}

func TestTokenSetCompare(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	ts, err := loadTokens("", func(k string) string { return map[string]string{EnvToken: testToken}[k] }, log)
	if err != nil || !ts.enabled() {
		t.Fatalf("env token: %v", err)
	}
	for h, want := range map[string]bool{
		"Bearer " + testToken:                  true,
		"BEARER " + testToken:                  true,
		"Bearer  " + testToken + " ":           true,
		"Bearer " + testToken[:20]:             false,
		"Bearer " + testToken + "0":            false,
		"Bearer " + strings.ToUpper(testToken): false,
		"Basic " + testToken:                   false,
		testToken:                              false,
		"Bearer ":                              false,
		"":                                     false,
	} {
		if got := ts.valid(h); got != want {
			t.Errorf("valid(%q) = %v, want %v", h, got, want)
		}
	}
	if _, err := loadTokens("", func(k string) string { return map[string]string{EnvToken: "short"}[k] }, log); err == nil {
		t.Error("a short token must be refused")
	}
	if _, err := loadTokens(tokenFile(t), func(string) string { return "" }, log); err == nil {
		t.Error("an empty token file must be refused")
	}
	none, err := loadTokens("", func(string) string { return "" }, log)
	if err != nil || none.enabled() {
		t.Errorf("no token configured: %v %v", err, none.enabled())
	}
}

// BenchmarkTokenCompare shows the comparison costs the same whether a wrong
// token differs in its first or its last byte.
func BenchmarkTokenCompare(b *testing.B) {
	ts, _ := loadTokens("", func(k string) string { return map[string]string{EnvToken: testToken}[k] }, slog.New(slog.DiscardHandler))
	early := "Bearer X" + testToken[1:]
	late := "Bearer " + testToken[:len(testToken)-1] + "X"
	b.Run("early-mismatch", func(b *testing.B) {
		for b.Loop() {
			ts.valid(early)
		}
	})
	b.Run("late-mismatch", func(b *testing.B) {
		for b.Loop() {
			ts.valid(late)
		}
	})
}

func TestReadyzNamesWhatIsWrong(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	rd := newReadiness(downAccount(t), filepath.Join(blocker, "state"), slog.New(slog.DiscardHandler))
	rd.timeout = 3 * time.Second
	ts := httptest.NewServer(rd.handler(&tokenSet{}))
	defer ts.Close()
	resp, body := get(t, ts.URL, nil)
	var got struct {
		Ready    bool              `json:"ready"`
		Problems map[string]string `json:"problems"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusServiceUnavailable || got.Ready {
		t.Fatalf("want 503 not ready: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(got.Problems["account:demo"], "IMAP") || !strings.Contains(got.Problems["state_dir"], "state") {
		t.Errorf("problems should name the account and the state directory: %v", got.Problems)
	}
	// Without the token, a server that has one hides the details.
	tokens, err := loadTokens("", func(k string) string { return map[string]string{EnvToken: testToken}[k] }, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(rd.handler(tokens))
	defer ts2.Close()
	_, body = get(t, ts2.URL, nil)
	if strings.Contains(body, "IMAP") || !strings.Contains(body, "account:demo") {
		t.Errorf("anonymous /readyz should name failing checks only: %s", body)
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	tbl := newSessionTable(2)
	id := tbl.Generate()
	if _, err := tbl.Validate(id); err != nil {
		t.Fatal(err)
	}
	tbl.Generate()
	if !tbl.full() {
		t.Error("two of two sessions: full")
	}
	tbl.Terminate(id) // what mcp-go's idle sweeper calls
	if _, err := tbl.Validate(id); err == nil {
		t.Error("an expired session id must be unknown (404: re-initialize)")
	}
	if tbl.full() || tbl.count() != 1 {
		t.Errorf("count after expiry: %d", tbl.count())
	}
}

func TestCheckExposure(t *testing.T) {
	cases := []struct {
		addr        string
		h           Options
		auth, tls   bool
		wantRefused bool
	}{
		{"127.0.0.1:8025", Options{}, false, false, false},
		{"[::1]:8025", Options{}, false, false, false},
		{"localhost:8025", Options{}, false, false, false},
		{"0.0.0.0:8080", Options{}, false, false, true},
		{"0.0.0.0:8080", Options{}, true, false, true},
		{"0.0.0.0:8080", Options{}, false, true, true},
		{"0.0.0.0:8080", Options{}, true, true, false},
		{"0.0.0.0:8080", Options{BehindProxy: true}, true, false, false},
		{"0.0.0.0:8080", Options{BehindProxy: true}, false, false, true},
		{"0.0.0.0:8080", Options{Insecure: true}, false, false, false},
		{"nonsense", Options{}, false, false, true},
	}
	for _, c := range cases {
		o := c.h
		o.Addr = c.addr
		err := CheckExposure(o, c.auth, c.tls)
		if (err != nil) != c.wantRefused {
			t.Errorf("%s %+v auth=%v tls=%v: %v", c.addr, c.h, c.auth, c.tls, err)
		}
	}
}
