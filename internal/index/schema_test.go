package index

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestOtherSchemaRebuilt: an index made by another version is removed and
// made anew, with incremental auto-vacuum (so Compact can give the pages
// the segment merge frees back to the file system).
func TestOtherSchemaRebuilt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a.db")
	ix := openTest(t, path)
	fill(t, ix, 5)
	ix.Close()
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE meta SET value = '6' WHERE key = 'schema'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	ix = openTest(t, path)
	r, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}})
	if err != nil || len(r.Hits) != 0 {
		t.Fatalf("the old index was served: %+v %v", r, err)
	}
	var v string
	var av int
	if err := ix.db.QueryRow(`SELECT value FROM meta WHERE key = 'schema'`).Scan(&v); err != nil || v != schemaVersion {
		t.Fatalf("schema %q %v, want %s", v, err, schemaVersion)
	}
	if err := ix.db.QueryRow(`PRAGMA auto_vacuum`).Scan(&av); err != nil || av != 2 {
		t.Fatalf("auto_vacuum %d %v, want 2 (incremental)", av, err)
	}
	fill(t, ix, 3000)
	before := ix.Size()
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	var free int64
	if err := ix.db.QueryRow(`PRAGMA freelist_count`).Scan(&free); err != nil || free != 0 {
		t.Fatalf("after Compact %d pages free (%v), want 0", free, err)
	}
	t.Logf("3000 messages: %d bytes before Compact, %d after", before, ix.Size())
}
