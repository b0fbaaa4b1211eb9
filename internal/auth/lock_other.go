//go:build !unix

package auth

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// staleLock is how old a lock file must be before it is presumed abandoned by
// a crashed process.
const staleLock = 2 * time.Minute

// lockFile creates path exclusively (O_EXCL) and removes it on unlock: the
// portable fallback where flock(2) is missing.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	for {
		f, err := os.OpenFile(path+".excl", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(path + ".excl") }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if fi, err := os.Stat(path + ".excl"); err == nil && time.Since(fi.ModTime()) > staleLock {
			os.Remove(path + ".excl")
			continue
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
