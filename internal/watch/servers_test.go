package watch

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig/servers"
)

// TestIdleThatDoesNotPushOnEachServer (issue 16): on every server of the
// rig, mail appended while the watcher idles is reported within its poll
// interval, whether or not the server announces it during IDLE (Cyrus
// accepts IDLE and sends nothing).
func TestIdleThatDoesNotPushOnEachServer(t *testing.T) {
	// The provider profiles too: Yahoo has no IDLE at all.
	for _, name := range append(slices.Clone(servers.All), servers.Profiles...) {
		t.Run(name, func(t *testing.T) {
			srv := servers.Require(t, name)
			u := srv.NewUser(t)
			acct := srv.Account(u)
			feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
			opt := fastOptions()
			opt.PollInterval = 2 * time.Second
			startWatcher(t, acct, "INBOX", feed, opt)
			time.Sleep(300 * time.Millisecond) // into IDLE
			subject := fmt.Sprintf("Idle %s %d", name, time.Now().UnixNano())
			start := time.Now()
			if name == servers.Cyrus {
				// Cyrus announces an APPEND from another session but not
				// mail its lmtpd delivers: deliver through its SMTP sink.
				addr := net.JoinHostPort(srv.SMTP.Host, strconv.Itoa(srv.SMTP.Port))
				sc, err := smtp.Dial(addr)
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Close()
				if err := sc.Auth(sasl.NewPlainClient("", u.Username, u.Password)); err != nil {
					t.Fatal(err)
				}
				if err := sc.SendMail("alice@example.test", []string{u.Email}, bytes.NewReader(mailTo(u.Email, subject))); err != nil {
					t.Fatal(err)
				}
				_ = sc.Quit()
			} else {
				c, err := srv.DialIMAP(u)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				appendRaw(t, c, "INBOX", mailTo(u.Email, subject))
			}
			evs, _ := collect(t, feed, 0, 1, opt.PollInterval+3*time.Second)
			found := false
			for _, e := range evs {
				found = found || e.Subject() == subject
			}
			if !found {
				t.Fatalf("%q not reported: %+v", subject, evs)
			}
			t.Logf("%s: reported %s after the append (poll interval %s)", name, time.Since(start).Round(time.Millisecond), opt.PollInterval)
		})
	}
}

// TestWatchNestedFolderOnEachServer (issue 16): a watched folder is named
// as the agent names it ("Projects/Alpha"), whatever the server's namespace
// prefix and delimiter (Cyrus: INBOX.Projects.Alpha; maddy:
// Projects.Alpha). Mail appended to it is reported with the agent's name,
// both by a watcher of its own (IDLE) and by one polled on the account's
// shared connection (with NOTIFY where the server has it).
func TestWatchNestedFolderOnEachServer(t *testing.T) {
	const folder = "Projects/Alpha"
	for _, name := range servers.All {
		t.Run(name, func(t *testing.T) {
			srv := servers.Require(t, name)
			u := srv.NewUser(t)
			acct := srv.Account(u)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			pool := imapconn.NewPool(acct, testLog())
			defer pool.Close(ctx)
			if _, err := pool.CreateFolder(ctx, folder, ""); err != nil {
				t.Fatalf("create %q: %v", folder, err)
			}
			opt := fastOptions()
			opt.PollInterval = time.Second
			for _, shape := range []struct {
				name    string
				folders []string
			}{{"idle", []string{folder}}, {"polled", []string{"INBOX", folder}}} {
				feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{})
				h := NewHub(feed, []Target{{Account: acct, Folders: shape.folders, Always: true, Options: opt}}, HubOptions{Log: testLog()})
				h.Start()
				for _, f := range shape.folders {
					w, release, err := h.Acquire("t", f)
					if err != nil {
						h.Close()
						t.Fatal(err)
					}
					waitReady(t, w)
					release()
				}
				subject := fmt.Sprintf("Nested %s %s %d", name, shape.name, time.Now().UnixNano())
				if _, err := pool.Append(ctx, folder, nil, time.Now(), mailTo(u.Email, subject)); err != nil {
					h.Close()
					t.Fatalf("append to %q: %v", folder, err)
				}
				evs, _ := collect(t, feed, 0, 1, 10*time.Second)
				h.Close()
				found := false
				for _, e := range evs {
					if e.Subject() == subject {
						found = true
						if e.Folder != folder {
							t.Errorf("%s: reported in folder %q, want %q", shape.name, e.Folder, folder)
						}
					}
				}
				if !found {
					t.Errorf("%s: %q not reported: %+v", shape.name, subject, evs)
				}
			}
		})
	}
}
