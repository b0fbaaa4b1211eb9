package auth

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// TestNoSecretsInOutput runs every flow with a debug logger and checks that
// no secret — client secret, authorization codes, device codes, access and
// refresh tokens, PKCE verifier-derived values, passwords — appears in the
// log, in returned errors, or in what was printed for the user.
func TestNoSecretsInOutput(t *testing.T) {
	const clientSecret = "client-secret-XYZZY-4242"
	const password = "pw-PLUGH-9876"
	srv := oauthtest.New(oauthtest.Options{ClientSecret: clientSecret, DeviceScript: []string{oauthtest.StepSlowDown}})
	defer srv.Close()
	var logBuf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store, err := OpenTokenStore(t.TempDir(), logger)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(srv, "")
	cfg.ClientSecret = clientSecret
	printed := newLineWriter()
	var errs []error
	opts := LoginOptions{NoBrowserOpen: true, Logger: logger, PollInterval: time.Millisecond, SlowDownStep: time.Millisecond}

	// Loopback login with a pasted redirect.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Login(testCtx(t), cfg, "a", store, pr, printed, opts) }()
	loc := authorizeNoFollow(t, printed.waitURL(t, srv.AuthURL()))
	io.WriteString(pw, loc+"\n")
	if err := waitDone(t, done); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	// Device login.
	cfg.Flow = FlowDevice
	if err := Login(testCtx(t), cfg, "b", store, nil, printed, opts); err != nil {
		t.Fatal(err)
	}
	// Refresh, then a refused refresh.
	ts, _ := NewTokenSource(cfg, store, "b", 0)
	at, err := ts.AccessToken(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if at, err = ts.Refresh(testCtx(t), at); err != nil {
		t.Fatal(err)
	}
	srv.InvalidateRefreshTokens()
	_, err = ts.Refresh(testCtx(t), at)
	if err == nil {
		t.Fatal("refresh with invalidated token succeeded")
	}
	errs = append(errs, err, Diagnose(err, ProviderGoogle, "b"))
	// Wrong client secret on login.
	bad := cfg
	bad.ClientSecret = "wrong-" + clientSecret
	errs = append(errs, Login(testCtx(t), bad, "c", store, nil, printed, opts))
	// Logout with revocation.
	errs = append(errs, Logout(testCtx(t), cfg, "a", store, printed))
	// Password sources failing in ways that could echo the password.
	t.Setenv("MAILMCP_LEAK_PW", password)
	_, _, err = SecretSource{Command: "echo " + password + "; echo failed for " + password + " >&2; exit 1"}.Resolve(testCtx(t))
	errs = append(errs, err)
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte(password+"\n"), 0o644)
	os.Chmod(pwFile, 0o644)
	_, probs, _ := SecretSource{File: pwFile}.Resolve(testCtx(t))
	s, _, _ := SecretSource{Env: "MAILMCP_LEAK_PW"}.Resolve(testCtx(t))
	logger.Debug("resolved", "password", s, "problems", probs)
	c := NewXOAuth2Client("u", s)
	c.Next([]byte(`{"status":"401"}`))
	errs = append(errs, WrapSASLError(errors.New("535 failed"), c))
	WriteStatus(printed, Status(store, []StatusInput{{Account: "b", Method: MethodOAuth}}))

	var texts []string
	for _, e := range errs {
		if e != nil {
			texts = append(texts, e.Error())
		}
	}
	texts = append(texts, logBuf.String(), printed.String(), strings.Join(probs, " "))
	all := strings.Join(texts, "\n")
	secrets := append(srv.Issued(), clientSecret, password)
	for _, sec := range secrets {
		if strings.Contains(all, sec) {
			t.Errorf("secret %q leaked:\n%s", sec, all)
		}
	}
	if len(srv.Issued()) < 6 || !strings.Contains(logBuf.String(), "access token refreshed") {
		t.Fatalf("flows did not run as intended (issued %d); log:\n%s", len(srv.Issued()), logBuf.String())
	}
}
