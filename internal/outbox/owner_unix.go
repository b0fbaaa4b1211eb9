//go:build unix

package outbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// holdOwner creates and locks this process's owner file. The kernel drops
// the flock when the process dies, however it dies.
func holdOwner(dir, token string) (release func(), err error) {
	d := filepath.Join(dir, "owners")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: create %s: %w", d, err)
	}
	p := filepath.Join(d, token)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: owner file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("outbox: lock owner file: %w", err)
	}
	return func() {
		os.Remove(p)
		f.Close()
	}, nil
}

// ownerAlive reports whether the process that holds token's owner file is
// still running. A missing file or one nobody holds means it is gone.
func ownerAlive(dir, token string) bool {
	if token == "" || filepath.Base(token) != token {
		return false
	}
	p := filepath.Join(dir, "owners", token)
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return true
	}
	if err == nil {
		os.Remove(p)
		unix.Flock(int(f.Fd()), unix.LOCK_UN)
	}
	return false
}
