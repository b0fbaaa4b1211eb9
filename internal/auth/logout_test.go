package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

func TestLogoutRevokes(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	rt := seedExpired(t, srv, store, "a")
	out := newLineWriter()
	if err := Logout(testCtx(t), testConfig(srv, ""), "a", store, out); err != nil {
		t.Fatal(err)
	}
	if srv.IsRefreshTokenValid(rt.Reveal()) || srv.Counters().Revocations != 1 {
		t.Fatal("refresh token not revoked at the server")
	}
	if _, err := store.Load("a"); !errors.Is(err, ErrNoToken) {
		t.Fatalf("token file remains: %v", err)
	}
	if !strings.Contains(out.String(), "revoked") {
		t.Errorf("out = %q", out.String())
	}
	out = newLineWriter()
	if err := Logout(testCtx(t), testConfig(srv, ""), "a", store, out); err != nil || !strings.Contains(out.String(), "nothing to do") {
		t.Fatalf("second logout: %v %q", err, out.String())
	}
}

func TestLogoutMicrosoftDeletesOnly(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "w")
	cfg := OAuthConfig{Provider: ProviderMicrosoft, ClientID: srv.ClientID(), TokenURL: srv.TokenURL(), DeviceURL: srv.DeviceURL()}
	out := newLineWriter()
	if err := Logout(testCtx(t), cfg, "w", store, out); err != nil {
		t.Fatal(err)
	}
	if srv.Counters().Revocations != 0 || !strings.Contains(out.String(), "no revocation endpoint") {
		t.Errorf("revocations %d, out %q", srv.Counters().Revocations, out.String())
	}
	if _, err := store.Load("w"); !errors.Is(err, ErrNoToken) {
		t.Fatal("not deleted")
	}
}

func TestLogoutRevokeFailureStillDeletes(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "a")
	cfg := testConfig(srv, "")
	cfg.RevokeURL = srv.URL + "/no-such-endpoint" // 404 (well, 405 for POST on the mux)
	err := Logout(testCtx(t), cfg, "a", store, newLineWriter())
	if err == nil || !strings.Contains(err.Error(), "revocation failed") {
		t.Fatalf("err = %v", err)
	}
	if _, err := store.Load("a"); !errors.Is(err, ErrNoToken) {
		t.Fatal("not deleted after failed revocation")
	}
}

func TestStatus(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	seedExpired(t, srv, store, "g")
	ts, _ := NewTokenSource(testConfig(srv, ""), store, "g", 0)
	if _, err := ts.AccessToken(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("x"), 0o640)
	os.Chmod(pw, 0o640)
	reports := Status(store, []StatusInput{
		{Account: "g", Method: MethodOAuth, Provider: ProviderGeneric},
		{Account: "nobody", Method: MethodOAuth},
		{Account: "p", Method: MethodPassword, Password: SecretSource{File: pw}},
		{Account: "e", Method: MethodPassword, Password: SecretSource{Env: "MAILMCP_TEST_SURELY_UNSET"}},
	})
	g := reports[0]
	if !g.LoggedIn || g.Expired || !g.HasRefreshToken || g.LastRefresh.IsZero() || g.Expiry.Before(time.Now()) || len(g.Problems) != 0 {
		t.Errorf("oauth report %+v", g)
	}
	if reports[1].LoggedIn || !strings.Contains(strings.Join(reports[1].Problems, ""), "auth login nobody") {
		t.Errorf("missing login report %+v", reports[1])
	}
	if !reports[2].LoggedIn || !strings.Contains(strings.Join(reports[2].Problems, ""), "chmod 600") {
		t.Errorf("password file report %+v", reports[2])
	}
	if reports[3].LoggedIn || len(reports[3].Problems) != 1 {
		t.Errorf("env report %+v", reports[3])
	}
	out := newLineWriter()
	WriteStatus(out, reports)
	for _, want := range []string{"g (oauth, generic)", "refreshes automatically", "scopes: mail", "problem: not logged in", "password from file"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out.String())
		}
	}
}
