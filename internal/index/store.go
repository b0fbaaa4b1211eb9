package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// ErrFull means indexing stopped: the disk is full or the index reached
// index_max_bytes.
var ErrFull = errors.New("index: no space left for the index")

// ErrReadOnly is returned by writes in a process that does not hold the
// write lock.
var ErrReadOnly = errors.New("index: another process maintains this index")

// FolderState is what the index knows about one folder.
type FolderState struct {
	ID          int64
	Name        string
	UIDValidity uint32
	// Complete: every message the server had at the last sync is indexed.
	Complete bool
	// SyncedAt is when the last sync of the folder finished (zero: never).
	SyncedAt time.Time
	// Indexed and ServerCount are the messages indexed and on the server.
	Indexed, ServerCount int
}

func (ix *Index) writable() error {
	if !ix.writer {
		return ErrReadOnly
	}
	if ix.db == nil {
		return errors.New("index: closed")
	}
	return nil
}

// tx runs fn in one write transaction; SQLITE_FULL becomes ErrFull.
func (ix *Index) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if err := ix.writable(); err != nil {
		return err
	}
	tx, err := ix.wdb.BeginTx(ctx, nil)
	if err != nil {
		return ix.full2(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return ix.full2(err)
	}
	return ix.full2(tx.Commit())
}

func (ix *Index) full2(err error) error {
	if err == nil {
		return nil
	}
	if s := err.Error(); strings.Contains(s, "SQLITE_FULL") || strings.Contains(s, "database or disk is full") {
		msg := "the disk is full"
		ix.full.Store(&msg)
		return faultOf(ix.path, fmt.Errorf("%w: %w", ErrFull, err))
	}
	return faultOf(ix.path, classify(err))
}

// Stopped says why indexing stopped ("" while it runs).
func (ix *Index) Stopped() string {
	if p := ix.full.Load(); p != nil {
		return *p
	}
	return ""
}

// SetFolder records folder's UIDVALIDITY. When it differs from the one
// indexed, every message of the old generation is removed first (in the
// same transaction) and reset reports it.
func (ix *Index) SetFolder(ctx context.Context, folder string, uidValidity uint32) (reset bool, err error) {
	err = ix.tx(ctx, func(tx *sql.Tx) error {
		var old uint32
		err := tx.QueryRowContext(ctx, `SELECT uidvalidity FROM folders WHERE name = ?`, folder).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			_, err = tx.ExecContext(ctx, `INSERT INTO folders (name, uidvalidity) VALUES (?, ?)`, folder, uidValidity)
			return err
		}
		if err != nil || old == uidValidity {
			return err
		}
		reset = true
		if err := deleteWhere(ctx, tx, `folder = ?`, folder); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE folders SET uidvalidity = ?, complete = 0, synced_at = 0, server_count = 0, status = '' WHERE name = ?`, uidValidity, folder)
		return err
	})
	return reset, err
}

// ForgetFolder removes a folder and its messages (it no longer exists or is
// no longer indexed).
func (ix *Index) ForgetFolder(ctx context.Context, folder string) error {
	return ix.tx(ctx, func(tx *sql.Tx) error {
		if err := deleteWhere(ctx, tx, `folder = ?`, folder); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM folders WHERE name = ?`, folder)
		return err
	})
}

// FolderSynced records a finished sync of folder.
func (ix *Index) FolderSynced(ctx context.Context, folder string, complete bool, serverCount int, at time.Time) error {
	return ix.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE folders SET complete = ?, synced_at = ?, server_count = ? WHERE name = ?`, complete, at.UnixMilli(), serverCount, folder)
		return err
	})
}

// Folders lists the indexed folders.
func (ix *Index) Folders(ctx context.Context) ([]FolderState, error) {
	rows, err := ix.db.QueryContext(ctx, `SELECT f.id, f.name, f.uidvalidity, f.complete, f.synced_at, f.server_count,
		(SELECT count(*) FROM msgs m WHERE m.id BETWEEN f.id << 32 AND (f.id << 32) | 4294967295) FROM folders f ORDER BY f.name`)
	if err != nil {
		return nil, classify(fmt.Errorf("index: folders: %w", err))
	}
	defer rows.Close()
	var out []FolderState
	for rows.Next() {
		var f FolderState
		var at int64
		if err := rows.Scan(&f.ID, &f.Name, &f.UIDValidity, &f.Complete, &at, &f.ServerCount, &f.Indexed); err != nil {
			return nil, classify(fmt.Errorf("index: folders: %w", err))
		}
		if at > 0 {
			f.SyncedAt = time.UnixMilli(at)
		}
		out = append(out, f)
	}
	return out, classify(rows.Err())
}

// UIDs returns the indexed UIDs of folder's generation uidValidity with
// their flags.
func (ix *Index) UIDs(ctx context.Context, folder string, uidValidity uint32) (map[uint32]string, error) {
	rows, err := ix.db.QueryContext(ctx, `SELECT uid, flags FROM msgs WHERE folder = ? AND uidvalidity = ?`, folder, uidValidity)
	if err != nil {
		return nil, classify(fmt.Errorf("index: uids: %w", err))
	}
	defer rows.Close()
	out := map[uint32]string{}
	for rows.Next() {
		var uid uint32
		var flags string
		if err := rows.Scan(&uid, &flags); err != nil {
			return nil, classify(err)
		}
		out[uid] = flags
	}
	return out, classify(rows.Err())
}

// Put stores msgs (replacing any with the same key) in one transaction.
func (ix *Index) Put(ctx context.Context, msgs []*Message) error {
	rows := make([]*row, len(msgs))
	for i, m := range msgs {
		r, err := toRow(m)
		if err != nil {
			return err
		}
		rows[i] = r
	}
	return ix.tx(ctx, func(tx *sql.Tx) error {
		fids := map[string]int64{}
		find, err := tx.PrepareContext(ctx, `SELECT id FROM msgs WHERE folder = ? AND uidvalidity = ? AND uid = ?`)
		if err != nil {
			return err
		}
		defer find.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO msgs (id, folder, uidvalidity, uid, arrived, date, flagbits, flags, size, has_att, message_id, env, cached_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		text, err := tx.PrepareContext(ctx, `INSERT INTO fts (rowid, subject, hfrom, hto, hcc, body, attachments) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer text.Close()
		for i, m := range msgs {
			r := rows[i]
			var old int64
			switch err := find.QueryRowContext(ctx, m.Folder, m.UIDValidity, m.UID).Scan(&old); {
			case err == nil:
				if err := deleteIDs(ctx, tx, old); err != nil {
					return err
				}
			case !errors.Is(err, sql.ErrNoRows):
				return err
			}
			cached := m.CachedAt
			if cached.IsZero() {
				cached = time.Now()
			}
			fid, ok := fids[m.Folder]
			if !ok {
				var uv uint32
				if err := tx.QueryRowContext(ctx, `SELECT id, uidvalidity FROM folders WHERE name = ?`, m.Folder).Scan(&fid, &uv); err != nil {
					return fmt.Errorf("index: store message: folder %q not set up: %w", m.Folder, err)
				}
				if uv != m.UIDValidity {
					return fmt.Errorf("index: store message: folder %q is at UIDVALIDITY %d, not %d", m.Folder, uv, m.UIDValidity)
				}
				fids[m.Folder] = fid
			}
			id := fid<<32 | int64(m.UID)
			if _, err := ins.ExecContext(ctx, id, m.Folder, m.UIDValidity, m.UID, m.Arrived.Unix(), r.date, flagBits(m.Flags), r.flags, m.Size, r.hasAtt, r.messageID, r.env, cached.UnixMilli()); err != nil {
				return fmt.Errorf("index: store message: %w", err)
			}
			if _, err := text.ExecContext(ctx, id, r.subject, r.from, r.to, r.cc, r.body, r.attachments); err != nil {
				return fmt.Errorf("index: store text: %w", err)
			}
		}
		return nil
	})
}

// deleteIDs removes messages by row id, with their text.
func deleteIDs(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM fts WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("index: delete text: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM msgs WHERE id = ?`, id); err != nil {
		return fmt.Errorf("index: delete: %w", err)
	}
	return nil
}

// Delete removes the given UIDs of folder (expunged or moved away).
func (ix *Index) Delete(ctx context.Context, folder string, uidValidity uint32, uids []uint32) error {
	if len(uids) == 0 {
		return nil
	}
	return ix.tx(ctx, func(tx *sql.Tx) error {
		for _, uid := range uids {
			if err := deleteWhere(ctx, tx, `folder = ? AND uidvalidity = ? AND uid = ?`, folder, uidValidity, uid); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetFlags replaces the flags of indexed messages (uid → flag names).
func (ix *Index) SetFlags(ctx context.Context, folder string, uidValidity uint32, flags map[uint32][]string) error {
	if len(flags) == 0 {
		return nil
	}
	return ix.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `UPDATE msgs SET flags = ?, flagbits = ? WHERE folder = ? AND uidvalidity = ? AND uid = ?`)
		if err != nil {
			return err
		}
		defer st.Close()
		for uid, fl := range flags {
			if _, err := st.ExecContext(ctx, strings.Join(fl, " "), flagBits(fl), folder, uidValidity, uid); err != nil {
				return err
			}
		}
		return nil
	})
}

// deleteWhere removes the messages matching cond and their text.
func deleteWhere(ctx context.Context, tx *sql.Tx, cond string, args ...any) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM fts WHERE rowid IN (SELECT id FROM msgs WHERE `+cond+`)`, args...); err != nil {
		return fmt.Errorf("index: delete text: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM msgs WHERE `+cond, args...); err != nil {
		return fmt.Errorf("index: delete: %w", err)
	}
	return nil
}

// ChangeFlags adds and removes flags of the given messages.
func (ix *Index) ChangeFlags(ctx context.Context, refs []imapconn.MessageRef, add, remove []string) error {
	return ix.tx(ctx, func(tx *sql.Tx) error {
		for _, r := range refs {
			var flags string
			err := tx.QueryRowContext(ctx, `SELECT flags FROM msgs WHERE folder = ? AND uidvalidity = ? AND uid = ?`, r.Folder, r.UIDValidity, uint32(r.UID)).Scan(&flags)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			fl := strings.Fields(flags)
			for _, f := range add {
				if f = normFlag(f); !slices.Contains(fl, f) {
					fl = append(fl, f)
				}
			}
			for _, f := range remove {
				f = normFlag(f)
				fl = slices.DeleteFunc(fl, func(x string) bool { return x == f })
			}
			slices.Sort(fl)
			if _, err := tx.ExecContext(ctx, `UPDATE msgs SET flags = ?, flagbits = ? WHERE folder = ? AND uidvalidity = ? AND uid = ?`,
				strings.Join(fl, " "), flagBits(fl), r.Folder, r.UIDValidity, uint32(r.UID)); err != nil {
				return err
			}
		}
		return nil
	})
}

// normFlag writes a flag as search shows it: system flags lower case
// without the backslash, keywords as given (lower-cased like the server's
// listing renders them).
func normFlag(f string) string { return strings.ToLower(strings.TrimPrefix(f, "\\")) }

// folder returns the state of one folder (nil when not indexed).
func (ix *Index) folder(ctx context.Context, name string) (*FolderState, error) {
	fs, err := ix.Folders(ctx)
	if err != nil {
		return nil, err
	}
	for i := range fs {
		if fs[i].Name == name {
			return &fs[i], nil
		}
	}
	return nil, nil
}

func (ix *Index) maxUID(ctx context.Context, folder string, uidValidity uint32) (uint32, error) {
	var n sql.NullInt64
	err := ix.db.QueryRowContext(ctx, `SELECT max(uid) FROM msgs WHERE folder = ? AND uidvalidity = ?`, folder, uidValidity).Scan(&n)
	return uint32(n.Int64), classify(err)
}

// Compact merges the full-text index's segments into one, returns the
// pages this frees to the file system and truncates the WAL: after a large
// backfill, the index shrinks and reads touch fewer segments.
func (ix *Index) Compact(ctx context.Context) error {
	if err := ix.writable(); err != nil {
		return err
	}
	if _, err := ix.wdb.ExecContext(ctx, `INSERT INTO fts (fts) VALUES ('optimize')`); err != nil {
		return ix.full2(fmt.Errorf("index: optimize: %w", err))
	}
	if _, err := ix.wdb.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
		return ix.full2(fmt.Errorf("index: vacuum: %w", err))
	}
	if _, err := ix.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return ix.full2(fmt.Errorf("index: checkpoint: %w", err))
	}
	return nil
}

// folderStatus is the STATUS recorded at the folder's last full sync.
func (ix *Index) folderStatus(ctx context.Context, folder string) string {
	var st string
	ix.db.QueryRowContext(ctx, `SELECT status FROM folders WHERE name = ? AND complete = 1`, folder).Scan(&st)
	return st
}

func (ix *Index) setFolderStatus(ctx context.Context, folder, status string) error {
	return ix.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE folders SET status = ? WHERE name = ?`, status, folder)
		return err
	})
}
