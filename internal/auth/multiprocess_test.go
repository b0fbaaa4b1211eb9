package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// Child-process mode of TestMultiProcessRefresh: the test binary re-executed
// with these variables set acts as one mailmcp process.
const (
	childEnv      = "MAILMCP_AUTH_TEST_CHILD"
	childStateEnv = "MAILMCP_AUTH_TEST_STATE"
	childURLEnv   = "MAILMCP_AUTH_TEST_OAUTH"
	childStartEnv = "MAILMCP_AUTH_TEST_START"
	childRunEnv   = "MAILMCP_AUTH_TEST_RUN"
)

type childResult struct {
	Calls  int      `json:"calls"`
	Errors []string `json:"errors"`
	Tokens []string `json:"tokens"` // distinct access tokens seen
}

// childMain calls AccessToken in a loop for the configured duration, as a
// stdio server handling tool calls would, and reports on stdout.
func childMain() {
	start, _ := strconv.ParseInt(os.Getenv(childStartEnv), 10, 64)
	run, _ := time.ParseDuration(os.Getenv(childRunEnv))
	store, err := OpenTokenStore(os.Getenv(childStateEnv), nil)
	if err != nil {
		fmt.Println(`{"errors":["open store"]}`)
		return
	}
	base := os.Getenv(childURLEnv)
	cfg := OAuthConfig{ClientID: "test-client", AuthURL: base + "/authorize", TokenURL: base + "/token"}
	// Skew 700 ms against a 1 s lifetime: each token is refreshed ~300 ms
	// after it was issued.
	ts, err := NewTokenSource(cfg, store, "shared", 700*time.Millisecond)
	if err != nil {
		fmt.Println(`{"errors":["token source"]}`)
		return
	}
	time.Sleep(time.Until(time.Unix(0, start)))
	var res childResult
	seen := map[string]bool{}
	end := time.Now().Add(run)
	for time.Now().Before(end) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		at, err := ts.AccessToken(ctx)
		cancel()
		res.Calls++
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
		} else if !seen[at.Reveal()] {
			seen[at.Reveal()] = true
			res.Tokens = append(res.Tokens, at.Reveal())
		}
		time.Sleep(5 * time.Millisecond)
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

func TestMultiProcessRefresh(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		childMain()
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	srv := oauthtest.New(oauthtest.Options{AccessTTL: time.Second}) // rotating refresh tokens
	defer srv.Close()
	state := t.TempDir()
	store, _ := OpenTokenStore(state, nil)
	seedExpired(t, srv, store, "shared")

	const procs = 8
	const run = 2 * time.Second
	start := time.Now().Add(1500 * time.Millisecond) // let every child start (race-built binary)
	cmds := make([]*exec.Cmd, procs)
	outs := make([]*strings.Builder, procs)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcessRefresh$", "-test.count=1")
		cmd.Env = append(os.Environ(), childEnv+"=1", childStateEnv+"="+state, childURLEnv+"="+srv.URL,
			childStartEnv+"="+strconv.FormatInt(start.UnixNano(), 10), childRunEnv+"="+run.String())
		outs[i] = &strings.Builder{}
		cmd.Stdout = outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
	}
	calls := 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v\n%s", i, err, outs[i])
		}
		var res childResult
		line := outs[i].String()
		if j := strings.Index(line, "{"); j >= 0 {
			line = line[j:]
		}
		if err := json.NewDecoder(strings.NewReader(line)).Decode(&res); err != nil {
			t.Fatalf("child %d output %q: %v", i, outs[i], err)
		}
		if len(res.Errors) > 0 {
			t.Errorf("child %d: %d of %d calls failed, first: %s", i, len(res.Errors), res.Calls, res.Errors[0])
		}
		calls += res.Calls
	}
	c := srv.Counters()
	// One refresh at start, then one per ~300 ms window: about 7 in 2 s.
	maxRefreshes := int(run/(300*time.Millisecond)) + 3
	t.Logf("%d processes, %d calls, %d refreshes, %d failed refreshes", procs, calls, c.Refreshes, c.FailedRefreshes)
	if c.FailedRefreshes != 0 {
		t.Errorf("%d refreshes used a stale (rotated) refresh token", c.FailedRefreshes)
	}
	if c.Refreshes < 2 || c.Refreshes > maxRefreshes {
		t.Errorf("refreshes = %d, want 2..%d", c.Refreshes, maxRefreshes)
	}
	final, err := store.Load("shared")
	if err != nil {
		t.Fatal(err)
	}
	if !srv.IsRefreshTokenValid(final.RefreshToken.Reveal()) || srv.ValidRefreshTokens() != 1 {
		t.Errorf("final refresh token valid=%v, server holds %d valid refresh tokens",
			srv.IsRefreshTokenValid(final.RefreshToken.Reveal()), srv.ValidRefreshTokens())
	}
	entries, _ := os.ReadDir(store.Dir())
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "shared.json shared.lock" {
		t.Errorf("token dir holds %v", names)
	}
}
