package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

func TestDeviceLoginSlowDown(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{DeviceScript: []string{
		oauthtest.StepPending, oauthtest.StepSlowDown, oauthtest.StepPending,
	}})
	defer srv.Close()
	store := testStore(t)
	out := newLineWriter()
	const base, step = 10 * time.Millisecond, 60 * time.Millisecond
	err := Login(testCtx(t), testConfig(srv, FlowDevice), "work", store, nil, out,
		LoginOptions{PollInterval: base, SlowDownStep: step})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	codes := srv.DeviceCodes()
	if len(codes) != 1 {
		t.Fatalf("device codes %v", codes)
	}
	polls := srv.DevicePolls(codes[0])
	if len(polls) != 4 {
		t.Fatalf("%d polls, want 4 (pending, slow_down, pending, success)", len(polls))
	}
	// Polls 3 and 4 come after slow_down: each gap must be at least
	// base+step (RFC 8628 §3.5).
	for i := 2; i < 4; i++ {
		if gap := polls[i].Sub(polls[i-1]); gap < base+step {
			t.Errorf("gap before poll %d = %v, want >= %v", i+1, gap, base+step)
		}
	}
	printed := out.String()
	if !strings.Contains(printed, srv.URL+"/device/verify") {
		t.Errorf("verification URL not printed:\n%s", printed)
	}
	tok, err := store.Load("work")
	if err != nil || !srv.IsAccessTokenActive(tok.AccessToken.Reveal()) {
		t.Fatalf("token: %v", err)
	}
	if strings.Join(tok.Scopes, " ") != "mail" {
		t.Errorf("scopes %v", tok.Scopes)
	}
}

func TestDeviceLoginTerminalErrors(t *testing.T) {
	for _, tc := range []struct {
		step string
		want error
		hint string
	}{
		{oauthtest.StepDenied, ErrAccessDenied, "declined"},
		{oauthtest.StepExpired, ErrDeviceCodeExpired, "expired"},
	} {
		srv := oauthtest.New(oauthtest.Options{DeviceScript: []string{oauthtest.StepPending, tc.step}})
		store := testStore(t)
		err := Login(testCtx(t), testConfig(srv, FlowDevice), "work", store, nil, newLineWriter(),
			LoginOptions{PollInterval: time.Millisecond})
		srv.Close()
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.step, err, tc.want)
			continue
		}
		if got := Explain(err, ProviderMicrosoft, "work"); !strings.Contains(got, tc.hint) || !strings.Contains(got, "mailmcp auth login work") {
			t.Errorf("%s: Explain = %q", tc.step, got)
		}
		if _, err := store.Load("work"); !errors.Is(err, ErrNoToken) {
			t.Errorf("%s: token saved: %v", tc.step, err)
		}
	}
}

func TestDeviceLoginClientSecret(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{ClientSecret: "s3cret"})
	defer srv.Close()
	cfg := testConfig(srv, FlowDevice)
	err := Login(testCtx(t), cfg, "work", testStore(t), nil, newLineWriter(), LoginOptions{PollInterval: time.Millisecond})
	if !errors.Is(err, ErrProviderConfig) {
		t.Fatalf("without secret: err = %v, want ErrProviderConfig", err)
	}
	cfg.ClientSecret = "s3cret"
	if err := Login(testCtx(t), cfg, "work", testStore(t), nil, newLineWriter(), LoginOptions{PollInterval: time.Millisecond}); err != nil {
		t.Fatalf("with secret: %v", err)
	}
}
