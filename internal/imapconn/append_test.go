package imapconn_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

func TestAppendReturnsUsableID(t *testing.T) { eachBackend(t, testAppend) }

func testAppend(t *testing.T, b *backend) {
	p := b.pool(t, b.addr, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	raw := "From: me@example.org\r\nTo: you@example.org\r\nSubject: appended " + b.name + "\r\nMessage-ID: <ap1@example.org>\r\n\r\nbody\r\n"
	date := time.Date(2026, 10, 3, 8, 0, 0, 0, time.UTC)

	ref, err := p.AppendSent(ctx, date, []byte(raw))
	if err != nil {
		t.Fatalf("AppendSent: %v", err)
	}
	if ref.UID == 0 || ref.UIDValidity == 0 || ref.Folder == "" || ref.Account != "t" {
		t.Fatalf("ref = %+v, want a UID from APPENDUID", ref)
	}
	var got string
	var meta imapconn.MessageMeta
	err = p.FetchRaw(ctx, ref, false, func(m imapconn.MessageMeta, r io.Reader) error {
		b, err := io.ReadAll(r)
		got, meta = string(b), m
		return err
	})
	if err != nil {
		t.Fatalf("fetch appended: %v", err)
	}
	if got != raw {
		t.Errorf("appended bytes differ:\n%q\nwant\n%q", got, raw)
	}
	if meta.Ref != ref || meta.Size != int64(len(raw)) || !slices.Contains(meta.Flags, "seen") {
		t.Errorf("appended message meta = %+v, want %d bytes flagged seen", meta, len(raw))
	}

	page, err := p.Search(ctx, ref.Folder, imapconn.Criteria{Subject: "appended " + b.name}, 10, "")
	if err != nil || len(page.Messages) != 1 || page.Messages[0].ID != ref.ID() {
		t.Fatalf("search finds %+v, %v; want the id %s", page, err, ref.ID())
	}
	if !strings.Contains(strings.Join(page.Messages[0].Flags, " "), "seen") {
		t.Errorf("sent copy flags = %v, want \\Seen", page.Messages[0].Flags)
	}

	draft, err := p.AppendDraft(ctx, []byte(strings.Replace(raw, "appended", "draft", 1)))
	if err != nil || draft.UID == 0 {
		t.Fatalf("AppendDraft: %+v, %v", draft, err)
	}
	dp, err := p.Search(ctx, draft.Folder, imapconn.Criteria{Subject: "draft " + b.name}, 10, "")
	if err != nil || len(dp.Messages) != 1 || !strings.Contains(strings.Join(dp.Messages[0].Flags, " "), "draft") {
		t.Fatalf("draft search = %+v, %v", dp, err)
	}
	expunged, err := p.ExpungeUID(ctx, draft)
	if err != nil || !expunged {
		t.Fatalf("ExpungeUID = %v, %v", expunged, err)
	}
	err = p.FetchRaw(ctx, draft, false, func(imapconn.MessageMeta, io.Reader) error { return nil })
	if fault.KindOf(err) != fault.NotFound {
		t.Errorf("fetch of the expunged draft: %v, want not_found", err)
	}
	// Only that UID went: the Sent copy is still there.
	if err := p.FetchRaw(ctx, ref, false, func(imapconn.MessageMeta, io.Reader) error { return nil }); err != nil {
		t.Errorf("sent copy gone after expunging the draft: %v", err)
	}

	if _, err := p.Append(ctx, "No Such Folder", nil, time.Time{}, []byte(raw)); fault.KindOf(err) != fault.NotFound {
		t.Errorf("append to a missing folder: %v", err)
	}
	ro := b.pool(t, b.addr, func(a *imapconn.Account) { a.ReadOnly = true })
	if _, err := ro.Append(ctx, "INBOX", []imap.Flag{imap.FlagSeen}, time.Time{}, []byte(raw)); fault.KindOf(err) != fault.ReadOnly {
		t.Errorf("append on a read-only account: %v", err)
	}
}
