// Package popstore keeps the local copy of a POP3 mailbox: each message
// downloaded once, keyed by the server's UIDL, written so that a crash at
// any moment leaves either the whole message or nothing.
//
// A message is the file <hex of its UIDL>.eml in the store's directory,
// written to a temporary file, fsynced, renamed into place and the
// directory fsynced, so the name is the record: there is no separate
// index to disagree with the files. Its modification time is when it was
// stored, which pop3_delete_after_days counts from.
package popstore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Store is one account's downloaded mail. Methods are safe for use by
// one process; Sync serialises its own work.
type Store struct{ dir string }

// Item is one stored message.
type Item struct {
	UIDL   string
	Size   int64
	Stored time.Time
}

const tmpPrefix = ".tmp-"

// Open creates (if needed) dir, mode 0700, and removes temporary files a
// crash left behind: they never became messages.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("popstore: create %s: %w", dir, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, tmpPrefix+"*"))
	for _, p := range left {
		os.Remove(p)
	}
	return &Store{dir: dir}, nil
}

func (s *Store) path(uidl string) string {
	return filepath.Join(s.dir, hex.EncodeToString([]byte(uidl))+".eml")
}

// Put stores raw under uidl durably; storing a uidl again replaces it.
func (s *Store) Put(uidl string, raw []byte) error {
	if uidl == "" {
		return errors.New("popstore: empty UIDL")
	}
	tmp, err := os.CreateTemp(s.dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("popstore: store message: %w", err)
	}
	_, err = tmp.Write(raw)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path(uidl))
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("popstore: store message: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// Get returns the stored message with uidl.
func (s *Store) Get(uidl string) ([]byte, error) {
	b, err := os.ReadFile(s.path(uidl))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("popstore: message %q is not stored: %w", uidl, fs.ErrNotExist)
	}
	return b, err
}

// List returns every stored message, oldest stored first.
func (s *Store) List() ([]Item, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("popstore: list: %w", err)
	}
	var out []Item
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".eml")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		uidl, err := hex.DecodeString(name)
		if err != nil {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, Item{UIDL: string(uidl), Size: fi.Size(), Stored: fi.ModTime()})
	}
	slices.SortFunc(out, func(a, b Item) int {
		if c := a.Stored.Compare(b.Stored); c != 0 {
			return c
		}
		return strings.Compare(a.UIDL, b.UIDL)
	})
	return out, nil
}
