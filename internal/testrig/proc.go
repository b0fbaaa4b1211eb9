package testrig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process helpers built on /proc. They never signal a PID before checking
// that it still belongs to this stack (PID files can be stale and PIDs are
// reused), and treat zombies as gone (a daemon re-parented to PID 1 may be
// reaped late).

// procStat is what the rig needs from /proc/PID/stat.
type procStat struct {
	state string // "R", "S", "Z", ...
	ppid  int
	sid   int // session: Dovecot's and Postfix's masters call setsid(), so
	// every process of a daemon shares the master's PID as session ID, even
	// after it has been re-parented to PID 1.
}

// readStat parses /proc/PID/stat (ok=false when the process does not exist).
func readStat(pid int) (procStat, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, false
	}
	// The command name is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 4 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	sid, _ := strconv.Atoi(f[3])
	return procStat{state: f[0], ppid: ppid, sid: sid}, true
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	st, ok := readStat(pid)
	return ok && st.state != "Z"
}

// cmdline returns the command line of pid with NULs replaced by spaces.
func cmdline(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
}

// cwd returns the working directory of pid ("" when unknown).
func cwd(pid int) string {
	p, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", pid))
	if err != nil {
		return ""
	}
	return p
}

// readPIDFile reads a PID file written by a daemon (0 when missing or bad).
func readPIDFile(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// sessionMembers returns the live processes of session sid (its leader
// included).
func sessionMembers(sid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := readStat(p); ok && st.sid == sid && st.state != "Z" {
			out = append(out, p)
		}
	}
	return out
}

// waitGone waits until none of pids is alive.
func waitGone(timeout time.Duration, pids ...int) error {
	deadline := time.Now().Add(timeout)
	for {
		var left []int
		for _, p := range pids {
			if alive(p) {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v still alive after %v", left, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// killSession sends SIGKILL to every process of session sid (a daemon
// master and all its children) and waits for them.
func killSession(sid int, timeout time.Duration) error {
	procs := sessionMembers(sid)
	var errs []error
	for _, p := range procs {
		if err := syscall.Kill(p, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", p, err))
		}
	}
	if err := waitGone(timeout, procs...); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// stopSession sends SIGTERM to a daemon master, waits for it, gives the rest
// of its session a short grace period, and then SIGKILLs what is left.
// Needed because Dovecot's login processes keep serving connected clients
// (and with them anvil, auth, log, config, stats) after the master exits.
func stopSession(master int, timeout time.Duration) error {
	if err := syscall.Kill(master, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	_ = waitGone(timeout, master)
	if waitGone(300*time.Millisecond, sessionMembers(master)...) == nil {
		return nil
	}
	return killSession(master, 5*time.Second)
}

// dovecotMaster returns the PID of the Dovecot master using conf, if running.
func dovecotMaster(baseDir, conf string) int {
	pid := readPIDFile(filepath.Join(baseDir, "master.pid"))
	if alive(pid) && strings.Contains(cmdline(pid), conf) {
		return pid
	}
	return 0
}

// postfixMaster returns the PID of the Postfix master whose queue directory is
// queueDir, if running. The master's command line does not name its
// configuration, but it chdirs into the queue directory.
func postfixMaster(queueDir string) int {
	pid := readPIDFile(filepath.Join(queueDir, "pid", "master.pid"))
	if alive(pid) && strings.Contains(cmdline(pid), "master") && cwd(pid) == queueDir {
		return pid
	}
	return 0
}
