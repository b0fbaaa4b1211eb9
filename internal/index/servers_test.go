package index_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/internal/testrig/servers"
)

// TestSyncOnEachServer: on every server of the rig, with CONDSTORE
// (Dovecot, mox, Cyrus: the CHANGEDSINCE listing) or without (maddy: the
// full listing), a flag change and an expunge by another client and a new
// message are all in the index after one sync cycle.
func TestSyncOnEachServer(t *testing.T) {
	for _, name := range servers.All {
		t.Run(name, func(t *testing.T) {
			srv := servers.Require(t, name)
			u := srv.NewUser(t)
			acct := srv.Account(u)
			c, err := srv.DialIMAP(u)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			folder := fmt.Sprintf("IxSync%d", time.Now().UnixNano()%1e9) // mox shares one mailbox
			if name == servers.Cyrus {                                   // folders live below INBOX
				folder = "INBOX." + folder
			}
			if err := c.Create(folder, nil).Wait(); err != nil {
				t.Fatal(err)
			}
			put := func(subject string) {
				t.Helper()
				msg := fmt.Sprintf("From: a@example.org\r\nTo: %s\r\nSubject: %s\r\nDate: Mon, 1 Dec 2025 10:00:00 +0000\r\n\r\nbody\r\n", u.Email, subject)
				app := c.Append(folder, int64(len(msg)), nil)
				app.Write([]byte(msg))
				app.Close()
				if _, err := app.Wait(); err != nil {
					t.Fatal(err)
				}
			}
			for i := 1; i <= 30; i++ {
				put(fmt.Sprintf("Message %d", i))
			}
			ctx := context.Background()
			pool := imapconn.NewPool(acct, testLog())
			defer pool.Close(ctx)
			ix, err := index.Open(ctx, t.TempDir()+"/t.db", testLog())
			if err != nil {
				t.Fatal(err)
			}
			defer ix.Close()
			sy := index.NewSyncer(ix, pool, index.SyncOptions{Folders: []string{folder}, Log: testLog()})
			state := func() (index.FolderState, map[uint32]string) {
				t.Helper()
				if err := sy.SyncAll(ctx); err != nil {
					t.Fatal(err)
				}
				fs, err := ix.Folders(ctx)
				if err != nil || len(fs) != 1 {
					t.Fatalf("folders %+v %v", fs, err)
				}
				have, err := ix.UIDs(ctx, folder, fs[0].UIDValidity)
				if err != nil {
					t.Fatal(err)
				}
				return fs[0], have
			}
			if f, have := state(); len(have) != 30 || !f.Complete {
				t.Fatalf("backfill: %+v, %d indexed", f, len(have))
			}
			sel, err := c.Select(folder, nil).Wait()
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: CONDSTORE %v, HIGHESTMODSEQ %d", name, c.Caps().Has(imap.CapCondStore), sel.HighestModSeq)
			uids, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
			if err != nil || len(uids.AllUIDs()) != 30 {
				t.Fatalf("uid search: %v %v", uids, err)
			}
			all := uids.AllUIDs()
			flagged, gone := all[10], all[20]
			if err := c.Store(imap.UIDSetNum(flagged), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagFlagged}, Silent: true}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Store(imap.UIDSetNum(gone), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}, Silent: true}, nil).Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Expunge().Close(); err != nil { // maddy has no UID EXPUNGE
				t.Fatal(err)
			}
			put("After the backfill")
			_, have := state()
			if !slices.Contains(strings.Fields(have[uint32(flagged)]), "flagged") {
				t.Errorf("flag change not seen: %q", have[uint32(flagged)])
			}
			if _, ok := have[uint32(gone)]; ok {
				t.Error("expunged message still indexed")
			}
			if len(have) != 30 {
				t.Errorf("%d indexed, want 30", len(have))
			}
			r, err := ix.Search(ctx, index.Query{Folders: []string{folder}, Subject: "After the backfill", Limit: 5})
			if err != nil || r.Total != 1 {
				t.Errorf("new message: %+v %v", r, err)
			}
		})
	}
}
