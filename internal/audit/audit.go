// Package audit writes mailmcp's audit log: one JSON line per write action
// (send, move, delete, flag, folder change, policy refusal) with the time,
// account, tool, message ids, recipients and outcome — never message
// bodies or credentials — to audit.log in the state directory, rotated by
// size.
//
// Many mailmcp processes may share a state directory. Each line is written
// with one write(2) on a file opened with O_APPEND, which the kernel keeps
// whole for regular files, and rotation happens under an flock so that two
// processes never rotate at once (an flock on audit.log.lock).
package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/filelock"
)

// Entry is one audited action.
type Entry struct {
	Time       time.Time `json:"time"`
	Account    string    `json:"account,omitempty"`
	Tool       string    `json:"tool"`
	IDs        []string  `json:"ids,omitempty"`
	Folder     string    `json:"folder,omitempty"`
	Recipients []string  `json:"recipients,omitempty"`
	// Outcome is ok, error, refused, pending or queued.
	Outcome string `json:"outcome"`
	// Kind is the fault kind of an error or refusal (not_found,
	// forbidden, …), as the agent received it.
	Kind   string `json:"kind,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Defaults for rotation.
const (
	DefaultMaxBytes = 10 << 20
	DefaultKeep     = 5
	// maxDetail bounds the free-text detail of one entry.
	maxDetail = 500
	// maxList bounds ids and recipients listed per entry.
	maxList = 100
)

// Log appends entries to <dir>/audit.log.
type Log struct {
	path     string
	maxBytes int64
	keep     int
	mu       sync.Mutex
}

// Open prepares the log in dir (created 0700); maxBytes <= 0 and keep <= 0
// take the defaults.
func Open(dir string, maxBytes int64, keep int) (*Log, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if keep <= 0 {
		keep = DefaultKeep
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &Log{path: filepath.Join(dir, "audit.log"), maxBytes: maxBytes, keep: keep}, nil
}

// Path is the current log file.
func (l *Log) Path() string { return l.path }

// Write appends e. A nil Log discards entries.
func (l *Log) Write(e Entry) error {
	if l == nil {
		return nil
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	if len(e.Detail) > maxDetail {
		e.Detail = e.Detail[:maxDetail] + "…"
	}
	if len(e.IDs) > maxList {
		e.IDs = append(e.IDs[:maxList:maxList], fmt.Sprintf("… %d more", len(e.IDs)-maxList))
	}
	if len(e.Recipients) > maxList {
		e.Recipients = append(e.Recipients[:maxList:maxList], fmt.Sprintf("… %d more", len(e.Recipients)-maxList))
	}
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.rotateIfNeeded(); err != nil {
		return err
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open: %w", err)
	}
	_, werr := f.Write(line)
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("audit: write: %w", werr)
	}
	if cerr != nil {
		return fmt.Errorf("audit: close: %w", cerr)
	}
	return nil
}

// rotateLockWait bounds the wait for another process's rotation: a
// rotation takes a few renames, so past it the line is written to the full
// file rather than lost, and the next write tries again.
const rotateLockWait = 10 * time.Second

// rotateIfNeeded renames audit.log → audit.log.1 → … when it is full,
// holding an flock on a lock file so processes do not rotate twice.
func (l *Log) rotateIfNeeded() error {
	fi, err := os.Stat(l.path)
	if err != nil || fi.Size() < l.maxBytes {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), rotateLockWait)
	defer cancel()
	lk, err := filelock.Wait(ctx, l.path+".lock")
	if errors.Is(err, context.DeadlineExceeded) {
		return nil // written unrotated; the next write tries again
	}
	if err != nil {
		return fmt.Errorf("audit: lock %s.lock: %w", l.path, err)
	}
	defer lk.Unlock()
	// Another process may have rotated while we waited.
	if fi, err := os.Stat(l.path); err != nil || fi.Size() < l.maxBytes {
		return nil
	}
	os.Remove(fmt.Sprintf("%s.%d", l.path, l.keep))
	for i := l.keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return fmt.Errorf("audit: rotate: %w", err)
	}
	return nil
}
