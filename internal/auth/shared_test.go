package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func sharedStore(t *testing.T, url string) *TokenStore {
	t.Helper()
	st, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return NewSharedTokenStore(st, nil)
}

// TestSharedRefresh: three replicas (each its own connection pool and
// token store on one database) ask for tokens in a loop for two seconds
// against a server that rotates refresh tokens and issues 1 s access
// tokens. The advisory lock lets one refresh at a time: no refresh ever
// uses a rotated-away refresh token, and every replica ends with the one
// valid login.
func TestSharedRefresh(t *testing.T) {
	url := testrig.RequirePostgres(t)
	srv := oauthtest.New(oauthtest.Options{AccessTTL: time.Second})
	defer srv.Close()
	stores := []*TokenStore{sharedStore(t, url), sharedStore(t, url), sharedStore(t, url)}
	seedExpired(t, srv, stores[0], "shared")

	const run = 2 * time.Second
	var wg sync.WaitGroup
	for _, st := range stores {
		ts, err := NewTokenSource(testConfig(srv, ""), st, "shared", 700*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			wg.Go(func() {
				for end := time.Now().Add(run); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					at, err := ts.AccessToken(ctx)
					cancel()
					if err != nil {
						t.Error(err)
						return
					}
					if !srv.IsAccessTokenActive(at.Reveal()) {
						t.Error("handed out a dead access token")
						return
					}
				}
			})
		}
	}
	wg.Wait()
	c := srv.Counters()
	maxRefreshes := int(run/(300*time.Millisecond)) + 3
	t.Logf("%d refreshes, %d failed", c.Refreshes, c.FailedRefreshes)
	if c.FailedRefreshes != 0 {
		t.Errorf("%d refreshes used a stale (rotated) refresh token", c.FailedRefreshes)
	}
	if c.Refreshes < 2 || c.Refreshes > maxRefreshes {
		t.Errorf("refreshes = %d, want 2..%d", c.Refreshes, maxRefreshes)
	}
	for i, st := range stores {
		tok, err := st.Load("shared")
		if err != nil || !srv.IsRefreshTokenValid(tok.RefreshToken.Reveal()) {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	if n := srv.ValidRefreshTokens(); n != 1 {
		t.Errorf("server holds %d valid refresh tokens, want 1", n)
	}
}

// TestSharedTokenStoreBasics: save, load, delete and the missing-login
// error behave as with files, and Path names no file.
func TestSharedTokenStoreBasics(t *testing.T) {
	s := sharedStore(t, testrig.RequirePostgres(t))
	if _, err := s.Load("a"); err == nil {
		t.Fatal("load of a missing login succeeded")
	}
	if err := s.Save(testCtx(t), &Token{Account: "a", AccessToken: "at-1", RefreshToken: "rt-1"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load("a")
	if err != nil || got.AccessToken != "at-1" || got.RefreshToken != "rt-1" {
		t.Fatalf("load: %+v %v", got, err)
	}
	if err := s.Delete(testCtx(t), "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load("a"); err == nil {
		t.Fatal("load after delete succeeded")
	}
	if p := s.Path("a"); p == "" || p[0] == '/' {
		t.Errorf("Path %q", p)
	}
}
