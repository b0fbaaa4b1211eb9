package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/mailmcp/mailmcp/internal/filelock"
)

// schemaVersion changes whenever the tables below change; an index of
// another version is rebuilt (it holds nothing that cannot be refetched).
const schemaVersion = "7"

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
	id INTEGER PRIMARY KEY,               -- the high 32 bits of its messages' ids
	name TEXT NOT NULL UNIQUE,
	uidvalidity INTEGER NOT NULL,
	complete INTEGER NOT NULL DEFAULT 0, -- backfill reached the oldest message
	synced_at INTEGER NOT NULL DEFAULT 0, -- unix ms of the last finished sync
	server_count INTEGER NOT NULL DEFAULT 0,
	-- STATUS as of the last full sync (CONDSTORE servers): unchanged means
	-- nothing to diff (RFC 7162 3.1.2.1: every change raises HIGHESTMODSEQ).
	status TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS msgs (
	id INTEGER PRIMARY KEY,   -- folder id << 32 | UID: per folder, id order is UID order
	                          -- and the full-text index streams newest first
	folder TEXT NOT NULL,
	uidvalidity INTEGER NOT NULL,
	uid INTEGER NOT NULL,
	arrived INTEGER NOT NULL, -- INTERNALDATE, unix seconds
	date TEXT NOT NULL,       -- as search shows it (RFC 3339)
	flagbits INTEGER NOT NULL,
	flags TEXT NOT NULL,      -- space-separated flag names as search shows them
	size INTEGER NOT NULL,
	has_att INTEGER NOT NULL,
	message_id TEXT NOT NULL,
	env BLOB NOT NULL,        -- JSON: the parse result but for the columns here and in fts
	cached_at INTEGER NOT NULL,
	UNIQUE (folder, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS msgs_arrived ON msgs (arrived);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (
	subject, hfrom, hto, hcc, body, attachments,
	tokenize = 'trigram case_sensitive 0'
);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_v USING fts5vocab (fts, 'row');
`

// Index is one account's open index.
type Index struct {
	path string
	db   *sql.DB // reads
	wdb  *sql.DB // writes (the writer process only)
	log  *slog.Logger
	// writer: this process holds the write lock and runs sync.
	writer bool
	unlock func()
	// full is set when the disk (or index_max_bytes) stopped indexing.
	full atomic.Pointer[string]
}

// ErrCorrupt marks an index file that failed its integrity check.
var ErrCorrupt = errors.New("index: database is damaged")

// Open opens (creating when missing) the index at path. The first process
// to open it becomes the writer; when it finds the file damaged or of
// another schema it removes and recreates it, and says so in the log. A
// reader that finds it damaged returns ErrCorrupt: it is never served.
func Open(ctx context.Context, path string, log *slog.Logger) (*Index, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, faultOf(path, fmt.Errorf("index: open %s: %w", path, err))
	}
	lk, _, err := filelock.TryLock(path + ".lock")
	if err != nil {
		return nil, faultOf(path, fmt.Errorf("index: lock %s: %w", path, err))
	}
	ix := &Index{path: path, log: log, writer: lk != nil}
	if lk != nil {
		ix.unlock = lk.Unlock
	}
	err = ix.open(ctx)
	if err != nil && ix.writer && (errors.Is(err, ErrCorrupt) || errors.Is(err, errOtherSchema)) {
		log.Warn("index: rebuilding the local index", "path", path, "reason", err.Error())
		if rerr := removeDB(path); rerr != nil {
			err = fmt.Errorf("%w; removing it failed: %w", err, rerr)
		} else {
			err = ix.open(ctx)
		}
	}
	if err != nil {
		ix.Close()
		return nil, faultOf(path, err)
	}
	return ix, nil
}

var errOtherSchema = errors.New("index: made by another version")

// ErrNotReady: a reader found no finished index (the writer is creating it).
var ErrNotReady = errors.New("index: not created yet")

// initSchema creates the tables and records the version, in one
// transaction so a reader never sees half a schema.
func initSchema(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return classify(fmt.Errorf("index: create schema: %w", err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return classify(fmt.Errorf("index: create schema: %w", err))
	}
	var v string
	err = tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('schema', ?)`, schemaVersion)
	case err == nil && v != schemaVersion:
		return fmt.Errorf("%w (schema %s, want %s)", errOtherSchema, v, schemaVersion)
	}
	if err != nil {
		return classify(fmt.Errorf("index: schema version: %w", err))
	}
	return classify(tx.Commit())
}

func readSchema(ctx context.Context, db *sql.DB) error {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema'`).Scan(&v)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) || strings.Contains(err.Error(), "no such table") {
			return ErrNotReady
		}
		return classify(fmt.Errorf("index: schema version: %w", err))
	}
	if v != schemaVersion {
		return fmt.Errorf("%w (schema %s, want %s)", errOtherSchema, v, schemaVersion)
	}
	return nil
}

func (ix *Index) open(ctx context.Context) error {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if ix.writer {
		// Before the first table: pages freed by merging the full-text
		// segments (Compact) can be returned to the file system. Without it
		// they stay on the freelist: 28% of a 10k-message index.
		q.Add("_pragma", "auto_vacuum(INCREMENTAL)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "cache_size(-16384)") // 16 MiB: FTS segment merges during backfill
	} else {
		q.Set("mode", "ro")
		if _, err := os.Stat(ix.path); err != nil {
			return fmt.Errorf("index: no index yet at %s (another process builds it): %w", ix.path, err)
		}
	}
	db, err := sql.Open("sqlite", "file:"+ix.path+"?"+q.Encode())
	if err != nil {
		return fmt.Errorf("index: open %s: %w", ix.path, err)
	}
	db.SetMaxOpenConns(4)
	if err := check(ctx, db); err != nil {
		db.Close()
		return err
	}
	if ix.writer {
		err = initSchema(ctx, db)
	} else {
		err = readSchema(ctx, db)
	}
	if err != nil {
		db.Close()
		return err
	}
	ix.db = db
	if ix.writer {
		// Writes go through one connection that begins IMMEDIATE: a
		// deferred transaction that reads first and then writes fails with
		// SQLITE_BUSY (no retry) when another connection wrote meanwhile.
		wq := q
		wq.Set("_txlock", "immediate")
		w, err := sql.Open("sqlite", "file:"+ix.path+"?"+wq.Encode())
		if err != nil {
			db.Close()
			return fmt.Errorf("index: open %s: %w", ix.path, err)
		}
		w.SetMaxOpenConns(1)
		ix.wdb = w
	}
	return nil
}

// check runs PRAGMA quick_check: every page and index entry is read and
// checked (O(N), without integrity_check's cross-checks of index contents).
func check(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return classify(fmt.Errorf("index: integrity check: %w", err))
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return classify(fmt.Errorf("index: integrity check: %w", err))
		}
		if s != "ok" && len(problems) < 3 {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return classify(fmt.Errorf("index: integrity check: %w", err))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// classify marks SQLite's damage reports (SQLITE_CORRUPT, SQLITE_NOTADB)
// as ErrCorrupt.
func classify(err error) error {
	if err == nil {
		return nil
	}
	s := err.Error()
	if strings.Contains(s, "malformed") || strings.Contains(s, "not a database") || strings.Contains(s, "SQLITE_CORRUPT") || strings.Contains(s, "SQLITE_NOTADB") {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}

func removeDB(path string) error {
	var errs []error
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Path is the database file.
func (ix *Index) Path() string { return ix.path }

// Writer reports whether this process maintains the index (holds its lock).
func (ix *Index) Writer() bool { return ix.writer }

// Close closes the database and releases the write lock.
func (ix *Index) Close() error {
	var err error
	if ix.wdb != nil {
		ix.wdb.Close()
	}
	if ix.db != nil {
		err = ix.db.Close()
	}
	if ix.unlock != nil {
		ix.unlock()
		ix.unlock = nil
	}
	return err
}

// Drop closes ix and deletes its files. Only the index is lost: mail and
// every other state stay.
func (ix *Index) Drop() error {
	if !ix.writer {
		return errors.New("index: another process maintains this index; stop it first")
	}
	path := ix.path
	ix.Close()
	return removeDB(path)
}

// Size is the database's size in bytes: its pages, including those still
// in the WAL (the WAL file itself is reused, so its length says little).
func (ix *Index) Size() int64 {
	if ix.db != nil {
		var pages, size int64
		if ix.db.QueryRow(`PRAGMA page_count`).Scan(&pages) == nil && ix.db.QueryRow(`PRAGMA page_size`).Scan(&size) == nil {
			return pages * size
		}
	}
	var n int64
	for _, p := range []string{ix.path, ix.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}
