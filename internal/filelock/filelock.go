// Package filelock is the one way mailmcp's processes exclude each other
// through the state directory: an exclusive advisory lock on a file
// (flock(2) on Unix, LockFileEx on Windows). The lock belongs to the open
// file, so it also excludes other opens in the same process, and the
// operating system drops it when the process dies, however it dies: a
// crashed holder never blocks the others.
package filelock

import (
	"context"
	"errors"
	"os"
	"time"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// Unlock releases the lock and closes its file. It is safe on a nil Lock.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	unlock(l.f)
	l.f.Close()
	l.f = nil
}

// TryLock takes the lock on path (creating the file) without waiting. held
// is true, with a nil Lock and no error, when another holder has it.
func TryLock(path string) (l *Lock, held bool, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, false, err
	}
	ok, err := try(f)
	if err != nil || !ok {
		f.Close()
		return nil, err == nil, err
	}
	return &Lock{f: f}, false, nil
}

// Wait takes the lock on path (creating the file), waiting for its holder
// until ctx ends. The operating system's wait cannot be cancelled, so Wait
// polls, backing off from 1 ms to 25 ms.
func Wait(ctx context.Context, path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	pause := time.Millisecond
	for {
		ok, err := try(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		if ok {
			return &Lock{f: f}, nil
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, 25*time.Millisecond)
	}
}

// Held reports whether a process holds the lock on path, without creating
// the file: a missing file is not held.
func Held(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	if err != nil {
		return true // cannot tell: say held, the safe answer for a takeover
	}
	defer f.Close()
	ok, err := try(f)
	if err != nil {
		return true
	}
	if ok {
		unlock(f)
	}
	return !ok
}
