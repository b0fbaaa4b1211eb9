package testrig

import (
	"fmt"
	"os"
	"syscall"
)

// withFileLock runs fn while holding an flock on path: tokens are appended
// by every process attached to the stack, and read by the owner.
func withFileLock(path string, exclusive bool, fn func() error) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer f.Close()
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

// appendLine appends one line to path under the stack lock.
func appendLine(lockPath, path, line string) error {
	return withFileLock(lockPath, true, func() error {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		if _, err := f.WriteString(line + "\n"); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// readLocked reads path under a shared stack lock, so a line being appended is
// never seen half-written.
func readLocked(lockPath, path string) ([]byte, error) {
	var b []byte
	err := withFileLock(lockPath, false, func() error {
		var err error
		b, err = os.ReadFile(path)
		return err
	})
	return b, err
}
