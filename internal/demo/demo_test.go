package demo

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func TestSeededMailbox(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	for _, f := range []string{"INBOX", "Sent", "Drafts", "Archive", "Trash"} {
		if srv.Seeded[f] == 0 {
			t.Errorf("folder %s was not seeded", f)
		}
	}
	if n := srv.Seeded["INBOX"] + srv.Seeded["Sent"] + srv.Seeded["Drafts"] + srv.Seeded["Archive"] + srv.Seeded["Trash"]; n < 24 {
		t.Errorf("only %d demo messages; the demo should show a realistic mailbox", n)
	}
}

// TestSubmittedMailReachesInboxAndIDLE sends through the demo SMTP server
// and watches the INBOX from another IMAP connection with IDLE.
func TestSubmittedMailReachesInboxAndIDLE(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())

	exists := make(chan uint32, 10)
	watcher, err := imapclient.DialInsecure(srv.IMAPAddr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					exists <- *d.NumMessages
				}
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	if err := watcher.Login(Email, Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := watcher.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	idle, err := watcher.Idle()
	if err != nil {
		t.Fatal(err)
	}

	c, err := smtp.Dial(srv.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", Email, Password)); err != nil {
		t.Fatal(err)
	}
	msg := "From: Dana Demo <" + Email + ">\r\nTo: " + Email + "\r\nSubject: note to self\r\n\r\nhello from SMTP\r\n"
	if err := c.SendMail(Email, []string{Email}, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	// Outside domains are refused with a clear reason: nothing leaves.
	err = c.SendMail(Email, []string{"someone@example.com"}, strings.NewReader(msg))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 550 || !strings.Contains(se.Message, Domain) {
		t.Errorf("outside recipient: want 550 naming the demo domain, got %v", err)
	}

	select {
	case n := <-exists:
		if n != sel.NumMessages+1 {
			t.Errorf("IDLE reported %d messages, want %d", n, sel.NumMessages+1)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("IDLE did not report the delivered message")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	crit := &imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Subject", Value: "note to self"}}}
	data, err := watcher.UIDSearch(crit, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if len(data.AllUIDs()) != 1 {
		t.Fatalf("delivered message not found in INBOX: %v", data.AllUIDs())
	}
	if err := watcher.Logout().Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestDemoRefusesNonLoopback(t *testing.T) {
	if _, err := Start(Options{IMAPAddr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("want a loopback refusal, got %v", err)
	}
}

// TestMoveReportsEachExpungeOnce: the moving connection hears each moved
// message's EXPUNGE exactly once, so its message count stays right without
// selecting the folder again (imapmemserver's own MOVE reports them twice).
func TestMoveReportsEachExpungeOnce(t *testing.T) {
	srv, err := Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	expunges := 0
	c, err := imapclient.DialInsecure(srv.IMAPAddr, &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{Expunge: func(uint32) { expunges++ }},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(Email, Password).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select("INBOX", nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	data, err := c.Move(imap.SeqSetNum(1, 2), "Archive").Wait()
	if err != nil {
		t.Fatal(err)
	}
	if uids, _ := data.SourceUIDs.(imap.UIDSet).Nums(); len(uids) != 2 {
		t.Fatalf("COPYUID source %v, want two UIDs", data.SourceUIDs)
	}
	// A later command would carry any report still queued.
	if err := c.Noop().Wait(); err != nil {
		t.Fatal(err)
	}
	if expunges != 2 {
		t.Errorf("%d EXPUNGE responses for a MOVE of 2 messages", expunges)
	}
	if got, want := c.Mailbox().NumMessages, sel.NumMessages-2; got != want {
		t.Errorf("client counts %d messages after the MOVE, want %d", got, want)
	}
	st, err := c.Status("Archive", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	if *st.NumMessages != uint32(srv.Seeded["Archive"]+2) {
		t.Errorf("Archive holds %d messages, want %d", *st.NumMessages, srv.Seeded["Archive"]+2)
	}
}
