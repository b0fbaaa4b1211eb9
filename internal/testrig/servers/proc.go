package servers

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// daemon is a server process started in its own process group, killed with
// the test binary (Pdeathsig) if that dies without stopping it.
type daemon struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// startDaemon starts bin with args in dir, output to dir/NAME.log.
func startDaemon(name, dir, bin string, env []string, args ...string) (*daemon, error) {
	logPath := filepath.Join(dir, name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	d := &daemon{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		d.err = cmd.Wait()
		lf.Close()
		close(d.done)
	}()
	return d, nil
}

// exited says why the daemon is gone, or nil while it runs.
func (d *daemon) exited() error {
	select {
	case <-d.done:
		return fmt.Errorf("%s exited (%v); log:\n%s", d.name, d.err, tail(d.log, 30))
	default:
		return nil
	}
}

// stop sends SIGTERM to the process group and SIGKILL after a grace period.
func (d *daemon) stop() error {
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-d.done
	}
	// Children that left the group's leader behind (Cyrus's imapd) go too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// waitGreeting waits until addr sends a line starting with prefix (over
// TLS when tc is set), or the daemon exits, or timeout passes.
func waitGreeting(d *daemon, addr, prefix string, tc *tls.Config, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if err := d.exited(); err != nil {
			return err
		}
		if last = testrig.Greet(addr, prefix, tc, 2*time.Second); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: %s not ready after %s: %v; log:\n%s", d.name, addr, timeout, last, tail(d.log, 30))
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// run runs a helper command and returns its combined output on failure.
func run(dir string, env []string, bin string, args ...string) error {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func hostPort(p int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)) }

// removeState deletes a server's state directory unless MAILMCP_RIG_KEEP
// is set (then its path goes to stderr, for reading the logs).
func removeState(dir string) {
	if os.Getenv("MAILMCP_RIG_KEEP") != "" {
		fmt.Fprintf(os.Stderr, "servers: kept %s\n", dir)
		return
	}
	_ = os.RemoveAll(dir)
}
