package servers

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"time"
)

// EnvDir names the cache directory scripts/install-servers.sh fills.
const EnvDir = "MAILMCP_SERVERS"

// unavailableError means the server cannot run on this machine (not
// installed and not installable): tests skip, except under CI.
type unavailableError struct{ msg string }

func (e unavailableError) Error() string { return e.msg }

func unavailable(format string, args ...any) error {
	return unavailableError{fmt.Sprintf(format, args...)}
}

// cacheDir is where the install script puts the programs.
func cacheDir() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return filepath.Join(os.TempDir(), "mailmcp-servers")
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "mailmcp", "servers")
}

var installOnce sync.Once

// program returns the path of a program under the cache directory,
// running scripts/install-servers.sh once when it is missing (unless
// MAILMCP_RIG_INSTALL=0).
func program(rel string) (string, error) {
	p := filepath.Join(cacheDir(), rel)
	if isExecutable(p) {
		return p, nil
	}
	installOnce.Do(runInstall)
	if isExecutable(p) {
		return p, nil
	}
	return "", unavailable("%s is missing (run scripts/install-servers.sh)", p)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// runInstall runs the install script relative to this source file.
func runInstall() {
	if os.Getenv("MAILMCP_RIG_INSTALL") == "0" {
		return
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return
	}
	script := filepath.Join(filepath.Dir(file), "..", "..", "..", "scripts", "install-servers.sh")
	if _, err := os.Stat(script); err != nil {
		return
	}
	fmt.Fprintf(os.Stderr, "servers: a server program is missing; running %s\n", script)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "servers: %s failed: %v\n", script, err)
	}
}
