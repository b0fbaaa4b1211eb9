package testrig

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvRig names the environment variable that points at the rig.json of a
// running stack (started by `go run ./internal/testrig/cmd/rig up`). When set,
// Require attaches to that stack instead of starting one.
const EnvRig = "MAILMCP_RIG"

// EnvInstall set to "0" stops Require from running
// scripts/install-mailstack.sh when the servers are missing.
const EnvInstall = "MAILMCP_RIG_INSTALL"

var global struct {
	once  sync.Once
	stack *Stack
	err   error
	skip  string // non-empty: the servers cannot run here
}

// Require returns the stack of this test binary, starting it on first use
// (or attaching to the one named by MAILMCP_RIG). When Dovecot/Postfix are
// missing and cannot be installed (not root, not Debian), the test is
// skipped and one loud line goes to stderr; under CI (CI=true) that is a
// failure instead, so a broken CI image cannot silently skip the tier.
func Require(tb testing.TB) *Stack {
	tb.Helper()
	global.once.Do(setupGlobal)
	if global.skip != "" {
		if IsCI() {
			tb.Fatalf("testrig: real mail servers required under CI but unavailable: %s", global.skip)
		}
		tb.Skip("testrig: real mail servers unavailable: " + global.skip)
	}
	if global.err != nil {
		tb.Fatalf("testrig: %v", global.err)
	}
	return global.stack
}

// Main is for TestMain: it runs the tests, stops the stack if this binary
// started it (also when Main's goroutine panics) and exits with the tests'
// code. A panic inside a test kills the process before deferred code can
// run; the reaper process then stops the servers.
func Main(m *testing.M) {
	os.Exit(runMain(m))
}

// AtExit registers fn to run when Main returns, before the stack stops
// (servers.CloseAll stops the other IMAP servers this way).
func AtExit(fn func() error) {
	exitMu.Lock()
	defer exitMu.Unlock()
	atExit = append(atExit, fn)
}

var (
	exitMu sync.Mutex
	atExit []func() error
)

func runAtExit() error {
	exitMu.Lock()
	fns := atExit
	atExit = nil
	exitMu.Unlock()
	var first error
	for i := len(fns) - 1; i >= 0; i-- {
		if err := fns[i](); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func runMain(m *testing.M) (code int) {
	defer func() {
		if err := runAtExit(); err != nil {
			fmt.Fprintf(os.Stderr, "testrig: %v\n", err)
		}
		if global.stack != nil {
			if code != 0 && global.stack.owned {
				// The state directory goes away with the stack: leave the
				// servers' view of the failure in the test output.
				fmt.Fprintf(os.Stderr, "testrig: tests failed; server logs (set MAILMCP_RIG_KEEP=1 to keep %s):%s\n", global.stack.StateDir, global.stack.LogTails())
			}
			t0 := time.Now()
			if err := global.stack.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "testrig: %v\n", err)
				if code == 0 {
					code = 1
				}
			} else if testing.Verbose() && global.stack.owned {
				fmt.Fprintf(os.Stderr, "testrig: stack stopped in %v\n", time.Since(t0).Round(time.Millisecond))
			}
		}
	}()
	return m.Run()
}

func setupGlobal() {
	if path := os.Getenv(EnvRig); path != "" {
		global.stack, global.err = Attach(path)
		return
	}
	if reason := unavailable(); reason != "" {
		if !maybeInstall(reason) {
			global.skip = reason
			fmt.Fprintf(os.Stderr, "testrig: !!! SKIPPING REAL-SERVER TESTS: %s (real-server tier needs root + scripts/install-mailstack.sh) !!!\n", reason)
			return
		}
		if reason = unavailable(); reason != "" {
			global.skip = reason
			fmt.Fprintf(os.Stderr, "testrig: !!! SKIPPING REAL-SERVER TESTS after install attempt: %s !!!\n", reason)
			return
		}
	}
	global.stack, global.err = Start(Options{})
	if global.err == nil && testing.Verbose() {
		fmt.Fprintf(os.Stderr, "testrig: stack up in %v (state %s)\n", global.stack.StartDuration().Round(time.Millisecond), global.stack.StateDir)
	}
}

// unavailable says why the servers cannot run here ("" when they can).
func unavailable() string {
	if runtime.GOOS != "linux" {
		return "needs Linux, this is " + runtime.GOOS
	}
	if os.Geteuid() != 0 {
		return "needs root (the Dovecot and Postfix masters run as root)"
	}
	if _, err := findBinaries(); err != nil {
		return "dovecot/postfix not installed: " + err.Error()
	}
	return ""
}

// maybeInstall runs scripts/install-mailstack.sh when that can work: root on
// Debian/Ubuntu with apt-get, unless MAILMCP_RIG_INSTALL=0.
func maybeInstall(reason string) bool {
	if os.Getenv(EnvInstall) == "0" || os.Geteuid() != 0 {
		return false
	}
	if _, err := os.Stat("/etc/debian_version"); err != nil {
		return false
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		return false
	}
	script := installScript()
	if script == "" {
		return false
	}
	fmt.Fprintf(os.Stderr, "testrig: %s; running %s\n", reason, script)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, script)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "testrig: %s failed: %v\n", script, err)
		return false
	}
	return true
}

// installScript finds scripts/install-mailstack.sh relative to this source
// file (the module root is two levels up).
func installScript() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "scripts", "install-mailstack.sh")
	if _, err := os.Stat(p); err != nil {
		return ""
	}
	return p
}

// IsCI reports whether the tests run under CI (CI=true, as set by GitHub
// Actions, GitLab and most others), where a missing server fails a test
// instead of skipping it.
func IsCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}
