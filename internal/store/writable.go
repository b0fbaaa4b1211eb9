package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// CheckWritable creates the state directory dir if needed and writes and
// removes a probe file in it: what /readyz and doctor check before the
// store is opened.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fault.FromFS("store", "the state directory "+dir, fmt.Errorf("create state directory: %w", err))
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fault.FromFS("store", "the state directory "+dir, fmt.Errorf("state directory %s is not writable: %w", dir, err))
	}
	name := f.Name()
	_, werr := f.WriteString("ok")
	cerr := f.Close()
	os.Remove(name)
	if err := errors.Join(werr, cerr); err != nil {
		return fault.FromFS("store", "the state directory "+filepath.Clean(dir), fmt.Errorf("write in state directory %s: %w", filepath.Clean(dir), err))
	}
	return nil
}
