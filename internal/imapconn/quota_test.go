package imapconn_test

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

func TestQuotaAndFeatures(t *testing.T) { eachBackend(t, testQuota) }

func testQuota(t *testing.T, b *backend) {
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	if caps := p.KnownCaps(); caps != nil {
		t.Fatalf("capabilities known before any connection: %v", caps)
	}
	q, err := p.Quota(ctx)
	if err != nil {
		t.Fatal(err)
	}
	caps := p.KnownCaps()
	feats := imapconn.Features(caps)
	if !slices.Contains(feats, "move") || !slices.Contains(feats, "esearch") || slices.Contains(feats, "gmail") {
		t.Errorf("features %v from %v", feats, caps)
	}
	if b.name == "memserver" {
		if q != nil {
			t.Errorf("quota on a server without QUOTA: %+v", q)
		}
		return
	}
	if !slices.Contains(feats, "quota") || !slices.Contains(feats, "thread") {
		t.Errorf("Dovecot features %v", feats)
	}
	if len(q) != 1 || q[0].StorageLimit == nil || *q[0].StorageLimit != 2<<30 || q[0].StorageUsed == nil {
		t.Fatalf("quota %+v, want one root with a 2 GiB storage limit", q)
	}
	before := *q[0].StorageUsed
	b.fill(t, "INBOX", 3, func(int) string { return strings.Repeat("big subject ", 300) })
	q, err = p.Quota(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if *q[0].StorageUsed <= before {
		t.Errorf("storage used %d after adding mail, was %d", *q[0].StorageUsed, before)
	}
}

// TestNonASCIIFolderRoundTrip: a folder created by another client with a
// non-ASCII name (sent as modified UTF-7, RFC 3501 5.1.3) is listed with
// its real name, searchable by it, and its message ids and fetches work.
func TestNonASCIIFolderRoundTrip(t *testing.T) { eachBackend(t, testNonASCIIFolder) }

func testNonASCIIFolder(t *testing.T, b *backend) {
	const name = "Résumé & 日本"
	rc := b.rawClient(t)
	if err := rc.Create(name, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	appendMsg(t, rc, name, "From: x@example.org\nSubject: in a unicode folder\n\nhello\n", day("2026-01-01"))
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	folders, err := p.ListFolders(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range folders {
		if f.Name == name {
			found = f.Total != nil && *f.Total == 1
		}
	}
	if !found {
		t.Fatalf("%q not listed with one message: %+v", name, folders)
	}
	page, err := p.Search(ctx, name, imapconn.Criteria{Subject: "unicode"}, 5, "")
	if err != nil || len(page.Messages) != 1 {
		t.Fatalf("search %q: %v", name, err)
	}
	ref, err := imapconn.ParseID(page.Messages[0].ID)
	if err != nil || ref.Folder != name {
		t.Fatalf("id folder %q, want %q (%v)", ref.Folder, name, err)
	}
	var body []byte
	if err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
		body, err = io.ReadAll(r)
		return err
	}); err != nil || !strings.Contains(string(body), "hello") {
		t.Fatalf("fetch from %q: %v", name, err)
	}
	if !rc.Caps().Has(imap.CapUTF8Accept) {
		t.Logf("%s does not offer UTF8=ACCEPT; only modified UTF-7 was exercised", b.name)
		return
	}
	// UTF8=ACCEPT (RFC 6855): a client that enabled it creates a folder
	// with a raw UTF-8 name; the engine (which does not enable it) still
	// sees the same name.
	if _, err := rc.Enable(imap.CapUTF8Accept).Wait(); err != nil {
		t.Fatal(err)
	}
	const name2 = "Ünïcødé"
	if err := rc.Create(name2, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	folders, err = p.ListFolders(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(folders, func(f imapconn.Folder) bool { return f.Name == name2 }) {
		t.Errorf("%q created under UTF8=ACCEPT not listed", name2)
	}
}
