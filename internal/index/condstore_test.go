package index_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestIncrementalSyncDovecot: on Dovecot (CONDSTORE) a sync after a flag
// change by another client lists only what changed (a few KB where the
// full listing of the folder is about 60 bytes a message), and still sees
// the flag change, an expunge and a new message in one cycle.
func TestIncrementalSyncDovecot(t *testing.T) {
	if os.Getenv("MAILMCP_TEST_FULL_DIFF") != "" {
		defer index.SetIncrementalDiff(false)()
	}
	s := testrig.Require(t)
	u := s.NewUser(t)
	const n = 3000
	s.Populate(t, u, "INBOX", n)
	ctx := context.Background()
	relay := newCountingRelay(t, s.IMAPSAddr())
	pool, ix := poolAndIndex(t, relayedAccount(s, u, relay))
	sy := index.NewSyncer(ix, pool, index.SyncOptions{Log: testLog()})
	if err := sy.SyncAll(ctx); err != nil {
		t.Fatal(err)
	}
	inbox := func() (uint32, map[uint32]string) {
		t.Helper()
		fs, err := ix.Folders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if f.Name == "INBOX" {
				have, err := ix.UIDs(ctx, "INBOX", f.UIDValidity)
				if err != nil {
					t.Fatal(err)
				}
				return f.UIDValidity, have
			}
		}
		t.Fatal("INBOX not indexed")
		return 0, nil
	}
	if _, have := inbox(); len(have) != n {
		t.Fatalf("backfill indexed %d of %d", len(have), n)
	}
	c := rawClient(t, s, u)
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	store := func(uid imap.UID, flag imap.Flag) {
		t.Helper()
		if err := c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{flag}, Silent: true}, nil).Close(); err != nil {
			t.Fatal(err)
		}
	}
	syncBytes := func() int64 {
		t.Helper()
		before := relay.fromSrv.Load()
		if err := sy.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
		return relay.fromSrv.Load() - before
	}

	// A flag change by another client.
	store(1234, imap.FlagFlagged)
	got := syncBytes()
	if _, have := inbox(); have[1234] != "flagged" {
		t.Fatalf("flag change not seen: message 1234 has %q", have[1234])
	}
	t.Logf("sync after one flag change: %d bytes from the server", got)
	// The full listing is n FETCH lines of ~60 bytes; the incremental one
	// a STATUS, an ESEARCH and one FETCH line per folder.
	if limit := int64(n * 60 / 10); got > limit {
		t.Errorf("sync after one flag change read %d bytes from the server, want < %d (a tenth of a full listing)", got, limit)
	}

	// An expunge and a new message, seen by the next cycle.
	store(77, imap.FlagDeleted)
	if err := c.UIDExpunge(imap.UIDSetNum(77)).Close(); err != nil {
		t.Fatal(err)
	}
	msg := "From: a@example.org\r\nTo: " + u.Email + "\r\nSubject: After the backfill\r\n\r\nhello\r\n"
	app := c.Append("INBOX", int64(len(msg)), nil)
	app.Write([]byte(msg))
	app.Close()
	if _, err := app.Wait(); err != nil {
		t.Fatal(err)
	}
	syncBytes()
	_, have := inbox()
	if _, ok := have[77]; ok {
		t.Error("an expunged message is still indexed after a sync")
	}
	var fresh []uint32
	for uid := range have {
		if uid > n {
			fresh = append(fresh, uid)
		}
	}
	if len(have) != n || len(fresh) != 1 {
		t.Errorf("after expunge and append: %d indexed (want %d), new %v", len(have), n, fresh)
	}
	r, err := ix.Search(ctx, index.Query{Folders: []string{"INBOX"}, Subject: "After the backfill", Limit: 5})
	if err != nil || r.Total != 1 {
		t.Errorf("new message not searchable: %+v %v", r, err)
	}
}

// TestUIDValidityResetDovecot: a folder deleted and made again (a new
// UIDVALIDITY) is refilled from the new generation only.
func TestUIDValidityResetDovecot(t *testing.T) {
	for _, incremental := range []bool{true, false} {
		t.Run(fmt.Sprintf("incremental=%v", incremental), func(t *testing.T) {
			defer index.SetIncrementalDiff(incremental)()
			testUIDValidityReset(t)
		})
	}
}

func testUIDValidityReset(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "Work", 40)
	ctx := context.Background()
	pool, ix := poolAndIndex(t, dovecotAccount(s, u))
	sy := index.NewSyncer(ix, pool, index.SyncOptions{Folders: []string{"Work"}, Log: testLog()})
	work := func() index.FolderState {
		t.Helper()
		if err := sy.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
		fs, err := ix.Folders(ctx)
		if err != nil || len(fs) != 1 {
			t.Fatalf("folders %+v %v", fs, err)
		}
		return fs[0]
	}
	old := work()
	if old.Indexed != 40 || !old.Complete {
		t.Fatalf("first sync: %+v", old)
	}
	c := rawClient(t, s, u)
	if err := c.Delete("Work").Wait(); err != nil {
		t.Fatal(err)
	}
	// Made again through IMAP (Populate writes Maildir files, and which
	// session first opens such a folder decides its UIDVALIDITY).
	if err := c.Create("Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 25; i++ {
		msg := fmt.Sprintf("From: b@example.org\r\nTo: %s\r\nSubject: Second generation %d\r\n\r\nnew\r\n", u.Email, i)
		app := c.Append("Work", int64(len(msg)), nil)
		app.Write([]byte(msg))
		app.Close()
		if _, err := app.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	now := work()
	st, err := c.Status("Work", &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if st.UIDValidity == old.UIDValidity {
		t.Fatalf("Dovecot kept UIDVALIDITY %d for the new folder", old.UIDValidity)
	}
	if now.UIDValidity != st.UIDValidity {
		t.Fatalf("the index is at UIDVALIDITY %d, the server at %d (was %d)", now.UIDValidity, st.UIDValidity, old.UIDValidity)
	}
	if now.Indexed != 25 || !now.Complete {
		t.Errorf("after the reset: %+v", now)
	}
	if left, err := ix.UIDs(ctx, "Work", old.UIDValidity); err != nil || len(left) != 0 {
		t.Errorf("%d messages of the old generation remain (%v)", len(left), err)
	}
	r, err := ix.Search(ctx, index.Query{Folders: []string{"Work"}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range r.Hits {
		if h.UIDValidity != now.UIDValidity {
			t.Errorf("a hit of generation %d", h.UIDValidity)
		}
	}
	if r.Total != 25 || !slices.ContainsFunc(r.Hits, func(h index.Hit) bool { return h.UID == 25 }) {
		t.Errorf("search after the reset: total %d", r.Total)
	}
}

// TestFolderOpsAfterSync: the sync leaves a folder it checked (UNSELECT)
// in a state the pool knows of, so deleting that folder through mailmcp
// afterwards works.
func TestFolderOpsAfterSync(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "Work", 5)
	ctx := context.Background()
	pool, ix := poolAndIndex(t, dovecotAccount(s, u))
	sy := index.NewSyncer(ix, pool, index.SyncOptions{Folders: []string{"Work"}, Log: testLog()})
	for range 2 { // the second STATUS leaves the folder the first diff selected
		if err := sy.SyncAll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.DeleteFolder(ctx, "Work", true); err != nil {
		t.Fatalf("delete a folder after a sync: %v", err)
	}
}
