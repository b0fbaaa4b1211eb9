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

// procState returns the state letter of pid ("R", "S", "Z", ...) and its
// parent PID, or ok=false when the process does not exist.
func procState(pid int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, false
	}
	// The command name is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return "", 0, false
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return "", 0, false
	}
	ppid, _ = strconv.Atoi(fields[1])
	return fields[0], ppid, true
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	st, _, ok := procState(pid)
	return ok && st != "Z"
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

// descendants returns all live descendants of pid (children, grandchildren...).
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if _, ppid, ok := procState(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
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

// killTree sends SIGKILL to pid and every descendant (collected first, so
// re-parenting after the master dies cannot hide children) and waits for them.
func killTree(pid int, timeout time.Duration) error {
	if !alive(pid) {
		return nil
	}
	all := append([]int{pid}, descendants(pid)...)
	var errs []error
	for _, p := range all {
		if err := syscall.Kill(p, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d: %w", p, err))
		}
	}
	if err := waitGone(timeout, all...); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
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
