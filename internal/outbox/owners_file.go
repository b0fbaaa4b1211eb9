package outbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailmcp/mailmcp/internal/filelock"
	"github.com/mailmcp/mailmcp/internal/store"
)

// fileOwners are owner files in dir/owners, one per running outbox, each
// locked by its process (filelock: the lock goes the instant the process
// dies, however it dies).
type fileOwners struct{ dir string }

// Hold creates and locks this process's owner file.
func (f fileOwners) Hold(token string) (release func(), err error) {
	d := filepath.Join(f.dir, "owners")
	if err := os.MkdirAll(d, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: create %s: %w", d, err)
	}
	p := filepath.Join(d, token)
	lk, held, err := filelock.TryLock(p)
	if err == nil && held {
		err = errors.New("another process holds it")
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: lock owner file %s: %w", p, err)
	}
	return func() {
		os.Remove(p)
		lk.Unlock()
	}, nil
}

// Alive reports whether the process that holds token's owner file still
// runs. A missing file or one nobody holds means it is gone (and the file
// is removed).
func (f fileOwners) Alive(_ store.Tx, token string) bool {
	if token == "" || filepath.Base(token) != token {
		return false
	}
	p := filepath.Join(f.dir, "owners", token)
	if filelock.Held(p) {
		return true
	}
	os.Remove(p)
	return false
}
