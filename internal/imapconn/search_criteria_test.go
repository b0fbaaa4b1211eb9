package imapconn_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// rawClient logs a plain go-imap client into the backend, for test setup
// the engine has no operation for (APPEND with flags and dates, CREATE).
func (b *backend) rawClient(t *testing.T) *imapclient.Client {
	t.Helper()
	a := b.acct(b.addr)
	var c *imapclient.Client
	var err error
	if a.IMAP.TLS == imapconn.TLSImplicit {
		c, err = imapclient.DialTLS(a.IMAP.Address(), &imapclient.Options{TLSConfig: a.TLS})
	} else {
		c, err = imapclient.DialInsecure(a.IMAP.Address(), nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := a.Auth.AuthenticateIMAP(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return c
}

// appendMsg stores raw in folder with flags and an arrival date.
func appendMsg(t *testing.T, c *imapclient.Client, folder, raw string, when time.Time, flags ...imap.Flag) {
	t.Helper()
	raw = strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\n", "\r\n")
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: flags, Time: when})
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %s: %v", folder, err)
	}
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d.Add(12 * time.Hour)
}

// critMessages are appended in this order (UIDs 1..5 in "Crit").
var critMessages = []struct {
	raw   string
	when  string
	flags []imap.Flag
}{
	{`From: Alice <alice@example.org>
To: bob@example.test
Cc: carol@example.test
Subject: Quarterly report
Message-ID: <r1@example.org>
X-Project: apollo
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain

numbers inside
--b1
Content-Type: application/pdf; name="q.pdf"
Content-Disposition: attachment; filename="q.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--b1--
`, "2026-01-10", []imap.Flag{imap.FlagSeen, imap.FlagAnswered}},
	{`From: dave@example.org
To: erin@example.test
Subject: Lunch
Message-ID: <l1@example.org>

sandwich ` + strings.Repeat("filler ", 600) + `
`, "2026-02-15", []imap.Flag{imap.FlagSeen, imap.FlagFlagged}},
	{`From: bob@example.test
To: alice@example.org
Subject: Re: Quarterly report
Message-ID: <r2@example.org>
In-Reply-To: <r1@example.org>
References: <r1@example.org>

thanks
`, "2026-03-01", nil},
	{`From: frank@example.org
To: bob@example.test
Subject: Mixed no attach
Message-ID: <m1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b2"

--b2
Content-Type: text/plain

just text
--b2--
`, "2026-03-05", nil},
	{`From: gina@example.org
To: bob@example.test
Subject: Unrelated
Message-ID: <u1@example.org>
References: <elsewhere@example.org>

nothing
`, "2026-03-06", nil},
}

func TestSearchCriteria(t *testing.T) { eachBackend(t, testSearchCriteria) }

func testSearchCriteria(t *testing.T, b *backend) {
	rc := b.rawClient(t)
	for _, f := range []string{"Crit", "Crit2"} {
		if err := rc.Create(f, nil).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range critMessages {
		appendMsg(t, rc, "Crit", m.raw, day(m.when), m.flags...)
	}
	appendMsg(t, rc, "Crit2", "From: hal@example.org\nSubject: Re: Re: Quarterly report\nMessage-ID: <r3@example.org>\nReferences: <r1@example.org> <r2@example.org>\n\nlate\n", day("2026-03-10"))
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	search := func(folder string, c imapconn.Criteria) *imapconn.Page {
		t.Helper()
		page, err := p.Search(ctx, folder, c, 20, "")
		if err != nil {
			t.Fatalf("search %+v: %v", c, err)
		}
		return page
	}
	uids := func(page *imapconn.Page) []uint32 {
		out := []uint32{}
		for _, m := range page.Messages {
			out = append(out, m.UID)
		}
		return out
	}
	yes, no := true, false
	page := search("Crit", imapconn.Criteria{})
	first := page.Messages[len(page.Messages)-1].ID // UID 1: the report
	for _, tc := range []struct {
		name string
		c    imapconn.Criteria
		want []uint32
	}{
		{"from", imapconn.Criteria{From: "alice"}, []uint32{1}},
		{"to", imapconn.Criteria{To: "erin"}, []uint32{2}},
		{"cc", imapconn.Criteria{Cc: "carol"}, []uint32{1}},
		{"subject", imapconn.Criteria{Subject: "quarterly"}, []uint32{3, 1}},
		{"text matches headers and body", imapconn.Criteria{Text: "sandwich"}, []uint32{2}},
		{"text header", imapconn.Criteria{Text: "gina@"}, []uint32{5}},
		{"body", imapconn.Criteria{Body: "numbers inside"}, []uint32{1}},
		{"since", imapconn.Criteria{Since: day("2026-03-01")}, []uint32{5, 4, 3}},
		{"before", imapconn.Criteria{Before: day("2026-02-01")}, []uint32{1}},
		{"since and before", imapconn.Criteria{Since: day("2026-02-01"), Before: day("2026-03-02")}, []uint32{3, 2}},
		{"seen", imapconn.Criteria{Seen: &yes}, []uint32{2, 1}},
		{"unseen", imapconn.Criteria{Seen: &no}, []uint32{5, 4, 3}},
		{"flagged", imapconn.Criteria{Flagged: &yes}, []uint32{2}},
		{"answered", imapconn.Criteria{Answered: &yes}, []uint32{1}},
		{"not answered", imapconn.Criteria{Answered: &no}, []uint32{5, 4, 3, 2}},
		{"larger", imapconn.Criteria{Larger: 3000}, []uint32{2}},
		{"smaller", imapconn.Criteria{Smaller: 3000}, []uint32{5, 4, 3, 1}},
		{"header", imapconn.Criteria{Header: [][2]string{{"X-Project", "apollo"}}}, []uint32{1}},
		{"has attachment", imapconn.Criteria{HasAttachment: &yes}, []uint32{1}},
		{"has no attachment", imapconn.Criteria{HasAttachment: &no}, []uint32{5, 4, 3, 2}},
		{"thread", imapconn.Criteria{Thread: first}, []uint32{3, 1}},
		{"combined", imapconn.Criteria{From: "bob", Subject: "report", Since: day("2026-02-01"), Seen: &no}, []uint32{3}},
	} {
		if got := uids(search("Crit", tc.c)); !slices.Equal(got, tc.want) {
			t.Errorf("%s: UIDs %v, want %v", tc.name, got, tc.want)
		}
	}
	// has_attachment: candidates (multipart/mixed) are counted, the page is confirmed.
	if pg := search("Crit", imapconn.Criteria{HasAttachment: &yes}); pg.Total != 2 || pg.Messages[0].HasAttachments != true {
		t.Errorf("has_attachment: total %d (want 2 candidates)", pg.Total)
	}
	// The thread reaches into another folder through the headers.
	if got := uids(search("Crit2", imapconn.Criteria{Thread: first})); !slices.Equal(got, []uint32{1}) {
		t.Errorf("thread in another folder: %v", got)
	}
	// Cursor pages through a criterion.
	pg, err := p.Search(ctx, "Crit", imapconn.Criteria{Seen: &no}, 2, "")
	if err != nil || !slices.Equal(uids(pg), []uint32{5, 4}) || pg.NextCursor == "" || pg.Total != 3 {
		t.Fatalf("page 1: %v %v", uids(pg), err)
	}
	pg, err = p.Search(ctx, "Crit", imapconn.Criteria{Seen: &no}, 2, pg.NextCursor)
	if err != nil || !slices.Equal(uids(pg), []uint32{3}) || pg.NextCursor != "" {
		t.Fatalf("page 2: %v %v", uids(pg), err)
	}
	// Invalid criteria are refused before the wire.
	for _, c := range []imapconn.Criteria{
		{Larger: 100, Smaller: 50},
		{Since: day("2026-03-01"), Before: day("2026-02-01")},
		{Header: [][2]string{{"Bad: name", "x"}}},
		{Subject: "a\r\nb"},
		{Thread: "m1.nonsense"},
	} {
		if _, err := p.Search(ctx, "Crit", c, 5, ""); fault.KindOf(err) != fault.Invalid {
			t.Errorf("criteria %+v: want invalid_argument, got %v", c, err)
		}
	}
}

// TestSearchAllFolders: folder "all" merges every folder except Trash and
// Junk newest first (arrival time) and pages across folders without gaps
// or repeats.
func TestSearchAllFolders(t *testing.T) { eachBackend(t, testSearchAll) }

func testSearchAll(t *testing.T, b *backend) {
	rc := b.rawClient(t)
	for _, f := range []string{"A", "B", "Trash", "Junk"} {
		if err := rc.Create(f, nil).Wait(); err != nil && !strings.Contains(strings.ToLower(err.Error()), "exist") {
			t.Fatalf("create %s: %v", f, err)
		}
	}
	// Interleaved arrival dates: A gets odd days, B even days.
	for i := 1; i <= 9; i++ {
		folder := "A"
		if i%2 == 0 {
			folder = "B"
		}
		appendMsg(t, rc, folder, fmt.Sprintf("From: x@example.org\nSubject: needle %d\nMessage-ID: <n%d@example.org>\n\nhay\n", i, i), day(fmt.Sprintf("2026-04-%02d", i)))
	}
	appendMsg(t, rc, "Trash", "From: x@example.org\nSubject: needle trashed\n\nhay\n", day("2026-05-01"))
	appendMsg(t, rc, "Junk", "From: x@example.org\nSubject: needle junk\n\nhay\n", day("2026-05-02"))
	p := b.pool(t, b.addr, nil)
	ctx := context.Background()
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("cursor never ends")
		}
		page, err := p.Search(ctx, imapconn.FolderAll, imapconn.Criteria{Subject: "needle"}, 4, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 && page.Total != 9 {
			t.Errorf("total %d, want 9 (Trash and Junk excluded)", page.Total)
		}
		for _, m := range page.Messages {
			got = append(got, m.Subject)
			ref, _ := imapconn.ParseID(m.ID)
			if ref.Folder != m.Folder || (m.Folder != "A" && m.Folder != "B") {
				t.Errorf("message %q from folder %q (id folder %q)", m.Subject, m.Folder, ref.Folder)
			}
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	var want []string
	for i := 9; i >= 1; i-- {
		want = append(want, fmt.Sprintf("needle %d", i))
	}
	if !slices.Equal(got, want) {
		t.Errorf("all folders, paged by 4:\n got %q\nwant %q", got, want)
	}
	// The cursor is bound to the search.
	page, err := p.Search(ctx, imapconn.FolderAll, imapconn.Criteria{Subject: "needle"}, 4, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Search(ctx, imapconn.FolderAll, imapconn.Criteria{Subject: "other"}, 4, page.NextCursor); fault.KindOf(err) != fault.Invalid {
		t.Errorf("all-folder cursor reused for another search: %v", err)
	}
	if _, err := p.Search(ctx, "A", imapconn.Criteria{Subject: "needle"}, 4, page.NextCursor); fault.KindOf(err) != fault.Invalid {
		t.Errorf("all-folder cursor used on one folder: %v", err)
	}
}
