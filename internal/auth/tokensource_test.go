package auth

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// seedExpired saves a login whose access token has expired.
func seedExpired(t *testing.T, srv *oauthtest.Server, store *TokenStore, account string) Secret {
	t.Helper()
	rt := Secret(srv.IssueRefreshToken("mail"))
	err := store.Save(testCtx(t), &Token{
		Account: account, Provider: ProviderGeneric, ClientID: srv.ClientID(), TokenURL: srv.TokenURL(),
		AccessToken: "expired-at", RefreshToken: rt, Expiry: time.Now().Add(-time.Minute),
		ObtainedAt: time.Now().Add(-time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func TestTokenSourceRefreshRotates(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	old := seedExpired(t, srv, store, "a")
	ts, err := NewTokenSource(testConfig(srv, ""), store, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	at, err := ts.AccessToken(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !srv.IsAccessTokenActive(at.Reveal()) {
		t.Fatal("access token not live")
	}
	saved, _ := store.Load("a")
	if saved.RefreshToken == old || !srv.IsRefreshTokenValid(saved.RefreshToken.Reveal()) {
		t.Fatal("rotated refresh token not persisted")
	}
	if srv.IsRefreshTokenValid(old.Reveal()) {
		t.Fatal("server kept the old refresh token valid (rotation off?)")
	}
	if saved.LastRefresh.IsZero() || saved.AccessToken != at || strings.Join(saved.Scopes, " ") != "mail" {
		t.Errorf("saved %+v", saved)
	}
	// Valid now: no second refresh, from this or a fresh source.
	ts2, _ := NewTokenSource(testConfig(srv, ""), store, "a", 0)
	for _, s := range []*TokenSource{ts, ts2} {
		if got, err := s.AccessToken(testCtx(t)); err != nil || got != at {
			t.Fatalf("second call: %v", err)
		}
	}
	if n := srv.Counters().Refreshes; n != 1 {
		t.Fatalf("refreshes = %d, want 1", n)
	}
	// The server rejected at: one refresh, and a second report of the same
	// rejected token (from another source) must not refresh again.
	at2, err := ts.Refresh(testCtx(t), at)
	if err != nil || at2 == at {
		t.Fatalf("Refresh: %v", err)
	}
	if at3, err := ts2.Refresh(testCtx(t), at); err != nil || at3 != at2 {
		t.Fatalf("second Refresh: %v", err)
	}
	if n := srv.Counters().Refreshes; n != 2 {
		t.Fatalf("refreshes = %d, want 2", n)
	}
}

func TestTokenSourceKeepsUnrotatedRefreshToken(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{KeepRefreshToken: true})
	defer srv.Close()
	store := testStore(t)
	old := seedExpired(t, srv, store, "a")
	ts, _ := NewTokenSource(testConfig(srv, ""), store, "a", 0)
	if _, err := ts.AccessToken(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if saved, _ := store.Load("a"); saved.RefreshToken != old {
		t.Fatal("refresh token lost when the server did not rotate it")
	}
}

func TestTokenSourceInvalidGrant(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "a")
	srv.InvalidateRefreshTokens()
	cfg := testConfig(srv, "")
	ts, _ := NewTokenSource(cfg, store, "a", 0)
	_, err := ts.AccessToken(testCtx(t))
	if !errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("err = %v, want ErrNeedsLogin", err)
	}
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" || oe.HTTPStatus != 400 {
		t.Fatalf("err = %#v", err)
	}
	if got := Explain(err, ProviderGoogle, "a"); !strings.Contains(got, "mailmcp auth login a") || !strings.Contains(got, "Testing") {
		t.Errorf("Explain = %q", got)
	}
	saved, _ := store.Load("a")
	if len(saved.Problems) != 1 || !strings.Contains(saved.Problems[0], "auth login a") {
		t.Errorf("problem not recorded: %v", saved.Problems)
	}
	if r := Status(store, []StatusInput{{Account: "a", Method: MethodOAuth}}); len(r[0].Problems) == 0 {
		t.Error("status shows no problem")
	}
}

func TestTokenSourceAADError(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "w")
	srv.FailRefreshWith("invalid_grant", "AADSTS700082: The refresh token has expired due to inactivity.")
	ts, _ := NewTokenSource(testConfig(srv, ""), store, "w", 0)
	_, err := ts.AccessToken(testCtx(t))
	if !errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("err = %v", err)
	}
	if got := Explain(err, ProviderMicrosoft, "w"); !strings.HasPrefix(got, "AADSTS700082: ") || !strings.Contains(got, "inactivity") {
		t.Errorf("Explain = %q", got)
	}
}

func TestTokenSourceClientChanged(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "a")
	cfg := testConfig(srv, "")
	cfg.ClientID = "another-app"
	ts, _ := NewTokenSource(cfg, store, "a", 0)
	if _, err := ts.AccessToken(testCtx(t)); !errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("err = %v", err)
	}
	if c := srv.Counters(); c.Refreshes+c.FailedRefreshes != 0 {
		t.Fatal("refresh attempted with a different client")
	}
}

func TestTokenSourceNoLogin(t *testing.T) {
	ts, _ := NewTokenSource(OAuthConfig{ClientID: "c", TokenURL: "http://127.0.0.1:9/t", AuthURL: "http://127.0.0.1:9/a"}, testStore(t), "none", 0)
	if _, err := ts.AccessToken(testCtx(t)); !errors.Is(err, ErrNeedsLogin) {
		t.Fatalf("err = %v", err)
	}
}

func TestTokenSourceConcurrentInProcess(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "a")
	// Two sources (as two components would hold) and a second store on the
	// same directory (its own mutexes: only the file lock protects it).
	store2, _ := OpenTokenStore(strings.TrimSuffix(store.Dir(), "/tokens"), nil)
	var srcs []*TokenSource
	for _, st := range []*TokenStore{store, store, store2} {
		s, _ := NewTokenSource(testConfig(srv, ""), st, "a", 0)
		srcs = append(srcs, s)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			at, err := srcs[i%3].AccessToken(testCtx(t))
			if err == nil && !srv.IsAccessTokenActive(at.Reveal()) {
				err = errors.New("dead token handed out")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c := srv.Counters(); c.Refreshes != 1 || c.FailedRefreshes != 0 {
		t.Fatalf("counters %+v, want exactly one refresh", c)
	}
}
