package outbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// writeRaw stores the message durably before it is journaled: write to a
// temporary file, fsync, rename, fsync the directory.
func writeRaw(dir, name string, raw []byte) error {
	tmp, err := os.CreateTemp(dir, "."+name+".tmp*")
	if err != nil {
		return dirError(dir, fmt.Errorf("outbox: write message: %w", err))
	}
	_, err = tmp.Write(raw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return dirError(dir, fmt.Errorf("outbox: write message: %w", err))
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

func readRaw(dir, name string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, bodyError(name, "the outbox directory "+dir, fmt.Errorf("outbox: read message %s: %w", name, err))
	}
	return b, nil
}

// dirError classifies a failure to write in the outbox directory dir: a
// full, read-only or forbidden disk is a local error naming it.
func dirError(dir string, err error) error {
	return fault.FromFS("outbox", "the outbox directory "+dir, err)
}

// bodyError classifies a failure to read the journaled message name kept
// in where: a missing message is a local error (it was deleted behind
// mailmcp's back, or the state was restored without it), and so is a
// failing disk.
func bodyError(name, where string, err error) error {
	if errors.Is(err, fs.ErrNotExist) && fault.As(err) == nil {
		return &fault.Error{Kind: fault.Local, Op: "outbox", Err: err,
			Hint: "The journaled message " + name + " is missing from " + where + "; it cannot be sent. Tell the user, and compose the message again if it is still wanted"}
	}
	return fault.FromFS("outbox", where, err)
}
