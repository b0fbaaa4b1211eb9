package auth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// runLogin starts Login in the background and returns its result channel.
func runLogin(ctx context.Context, cfg OAuthConfig, store *TokenStore, in io.Reader, out io.Writer) chan error {
	done := make(chan error, 1)
	go func() {
		done <- Login(ctx, cfg, "me@example.test", store, in, out, LoginOptions{NoBrowserOpen: true, PollInterval: time.Millisecond})
	}()
	return done
}

func waitDone(t *testing.T, done chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("login did not finish")
		return nil
	}
}

// browse follows the printed URL like a browser: authorize endpoint, then
// the redirect to the loopback listener.
func browse(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("browser: %s: %s", resp.Status, b)
	}
	return string(b)
}

func TestLoopbackLoginGoogle(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{ClientSecret: "desktop-secret"})
	defer srv.Close()
	store := testStore(t)
	cfg := testConfig(srv, "")
	cfg.Provider = ProviderGoogle // preset: loopback, offline access, consent
	cfg.ClientSecret = "desktop-secret"
	cfg.Scopes = nil
	cfg.DeviceURL = ""
	out := newLineWriter()
	done := runLogin(testCtx(t), cfg, store, nil, out)

	page := browse(t, out.waitURL(t, srv.AuthURL()))
	if !strings.Contains(page, "You can close this window") {
		t.Errorf("loopback page = %q", page)
	}
	if err := waitDone(t, done); err != nil {
		t.Fatalf("Login: %v", err)
	}

	q := srv.LastAuthorizeQuery()
	for k, want := range map[string]string{
		"access_type": "offline", "prompt": "consent", "code_challenge_method": "S256",
		"scope": "https://mail.google.com/", "response_type": "code",
	} {
		if q.Get(k) != want {
			t.Errorf("authorize %s = %q, want %q", k, q.Get(k), want)
		}
	}
	if len(q.Get("state")) < 20 {
		t.Errorf("weak state %q", q.Get("state"))
	}
	if r, _ := url.Parse(q.Get("redirect_uri")); r == nil || r.Hostname() != "127.0.0.1" || r.Path != "/" {
		t.Errorf("redirect_uri = %q", q.Get("redirect_uri"))
	}
	tok, err := store.Load("me@example.test")
	if err != nil {
		t.Fatal(err)
	}
	if !srv.IsAccessTokenActive(tok.AccessToken.Reveal()) || !srv.IsRefreshTokenValid(tok.RefreshToken.Reveal()) {
		t.Fatal("saved tokens are not the server's live ones")
	}
	if tok.Provider != ProviderGoogle || tok.ClientID != srv.ClientID() || tok.TokenURL != srv.TokenURL() || tok.ObtainedAt.IsZero() {
		t.Errorf("token metadata: %+v", tok)
	}
	fi, err := os.Stat(store.Path("me@example.test"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode: %v %v", fi.Mode(), err)
	}
	if c := srv.Counters(); c.CodeExchanges != 1 || c.TokenErrors != 0 {
		t.Errorf("counters %+v", c)
	}
}

func TestLoopbackStateMismatchIgnored(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	out := newLineWriter()
	done := runLogin(testCtx(t), testConfig(srv, FlowLoopback), store, nil, out)
	authURL := out.waitURL(t, srv.AuthURL())

	// A forged redirect to the listener with a wrong state is refused and
	// does not end the login.
	u, _ := url.Parse(authURL)
	forged := u.Query().Get("redirect_uri") + "?code=forged&state=wrong"
	resp, err := http.Get(forged)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("forged redirect: %s, want 400", resp.Status)
	}
	select {
	case err := <-done:
		t.Fatalf("login ended on a forged redirect: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	browse(t, authURL)
	if err := waitDone(t, done); err != nil {
		t.Fatalf("Login: %v", err)
	}
	if c := srv.Counters(); c.CodeExchanges != 1 {
		t.Errorf("exchanges = %d", c.CodeExchanges)
	}
}

// noRedirect stops at the authorization server's redirect, as on a machine
// where the browser cannot reach the loopback listener.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authorizeNoFollow(t *testing.T, authURL string) string {
	t.Helper()
	resp, err := noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || loc == "" {
		t.Fatalf("authorize: %s, Location %q", resp.Status, loc)
	}
	return loc
}

// pastedLogin is a loopback login whose browser stopped at the authorization
// server's redirect: loc is the address the user would paste into paste.
type pastedLogin struct {
	srv   *oauthtest.Server
	store *TokenStore
	loc   *url.URL
	paste io.Writer
	done  chan error
}

func startPastedLogin(t *testing.T) pastedLogin {
	t.Helper()
	srv := oauthtest.New(oauthtest.Options{})
	t.Cleanup(srv.Close)
	store := testStore(t)
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	out := newLineWriter()
	done := runLogin(testCtx(t), testConfig(srv, FlowLoopback), store, pr, out)
	loc, err := url.Parse(authorizeNoFollow(t, out.waitURL(t, srv.AuthURL())))
	if err != nil {
		t.Fatal(err)
	}
	return pastedLogin{srv: srv, store: store, loc: loc, paste: pw, done: done}
}

func TestLoopbackPastedRedirect(t *testing.T) {
	p := startPastedLogin(t)
	io.WriteString(p.paste, "\n  "+p.loc.String()+"  \n")
	if err := waitDone(t, p.done); err != nil {
		t.Fatalf("Login with pasted URL: %v", err)
	}
	if _, err := p.store.Load("me@example.test"); err != nil {
		t.Fatal(err)
	}
}

func TestLoopbackPastedBareCode(t *testing.T) {
	p := startPastedLogin(t)
	io.WriteString(p.paste, p.loc.Query().Get("code")+"\n")
	if err := waitDone(t, p.done); err != nil {
		t.Fatalf("Login with pasted code: %v", err)
	}
}

func TestLoopbackPastedWrongState(t *testing.T) {
	p := startPastedLogin(t)
	q := p.loc.Query()
	q.Set("state", "someone-elses")
	p.loc.RawQuery = q.Encode()
	io.WriteString(p.paste, p.loc.String()+"\n")
	err := waitDone(t, p.done)
	if !errors.Is(err, ErrStateMismatch) {
		t.Fatalf("err = %v, want ErrStateMismatch", err)
	}
	if c := p.srv.Counters(); c.CodeExchanges != 0 {
		t.Error("code exchanged despite state mismatch")
	}
	if _, err := p.store.Load("me@example.test"); !errors.Is(err, ErrNoToken) {
		t.Errorf("token saved after failed login: %v", err)
	}
}

func TestLoopbackAuthorizationError(t *testing.T) {
	r := parsePasted("http://127.0.0.1:9/?state=S&error=access_denied&error_description=user+said+no", "S")
	if !errors.Is(r.err, ErrAccessDenied) {
		t.Fatalf("err = %v, want ErrAccessDenied", r.err)
	}
}

func TestLoopbackContextTimeout(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := Login(ctx, testConfig(srv, FlowLoopback), "me", testStore(t), nil, io.Discard, LoginOptions{NoBrowserOpen: true})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
}

func TestLoopbackOpensBrowser(t *testing.T) {
	srv := oauthtest.New(oauthtest.Options{})
	defer srv.Close()
	store := testStore(t)
	// The "browser" is an HTTP client: the flow must hand it the URL it
	// printed, and following it must complete the login.
	opened := make(chan string, 1)
	err := Login(testCtx(t), testConfig(srv, FlowLoopback), "me", store, nil, io.Discard, LoginOptions{
		OpenBrowser: func(u string) error {
			opened <- u
			go http.Get(u)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if u := <-opened; !strings.HasPrefix(u, srv.AuthURL()) {
		t.Errorf("opened %q", u)
	}
}
