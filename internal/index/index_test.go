package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/filelock"
	"github.com/mailmcp/mailmcp/parse"
)

func testMessage(t testing.TB, folder string, uv, uid uint32, subject, body string) *Message {
	t.Helper()
	raw := "From: Ann Example <ann@example.test>\r\nTo: bob@example.test\r\nSubject: " + subject +
		"\r\nMessage-ID: <" + fmt.Sprint(uid) + "@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
	p, err := parse.Parse(strings.NewReader(raw), parse.ParseOptions{MaxTextBytes: MaxTextBytes})
	if err != nil {
		t.Fatal(err)
	}
	return &Message{Folder: folder, UIDValidity: uv, UID: uid, Arrived: time.Unix(1_700_000_000+int64(uid)*60, 0), Flags: []string{"seen"}, Size: int64(len(raw)), Parsed: p}
}

func openTest(t *testing.T, path string) *Index {
	t.Helper()
	ix, err := Open(context.Background(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func fill(t *testing.T, ix *Index, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := ix.SetFolder(ctx, "INBOX", 7); err != nil {
		t.Fatal(err)
	}
	var ms []*Message
	for i := 1; i <= n; i++ {
		ms = append(ms, testMessage(t, "INBOX", 7, uint32(i), fmt.Sprintf("Message %d", i), fmt.Sprintf("Body of the generated message number %d.", i)))
	}
	if err := ix.Put(ctx, ms); err != nil {
		t.Fatal(err)
	}
}

func uids(r *Result) []uint32 {
	var out []uint32
	for _, h := range r.Hits {
		out = append(out, h.UID)
	}
	return out
}

func TestSearchSubstring(t *testing.T) {
	ix := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	fill(t, ix, 30)
	ctx := context.Background()
	cases := []struct {
		name  string
		q     Query
		want  []uint32
		total int
	}{
		{"subject mid-word, any case", Query{Subject: "ESSAGE 2"}, []uint32{29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 2}, 11},
		{"from display name", Query{From: "ann exa"}, nil, 30},
		{"body", Query{Body: "number 17."}, []uint32{17}, 1},
		{"not in subject", Query{Subject: "generated"}, nil, 0},
		{"size", Query{Larger: 1 << 20}, nil, 0},
		{"LIKE wildcards are literal", Query{Subject: "mes%age"}, nil, 0},
		{"underscore literal", Query{Body: "number_1"}, nil, 0},
		{"unseen", Query{Seen: new(false)}, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func(v int) { likeRows = v }(likeRows)
			for _, like := range []int{0, 1 << 40} { // FTS count, then the LIKE scan
				likeRows = like
				c.q.Folders, c.q.Limit = []string{"INBOX"}, 100
				r, err := ix.Search(ctx, c.q)
				if err != nil {
					t.Fatal(err)
				}
				if r.Total != c.total || (c.want != nil && fmt.Sprint(uids(r)) != fmt.Sprint(c.want)) {
					t.Fatalf("likeRows %d: got %v (total %d), want %v (total %d)", like, uids(r), r.Total, c.want, c.total)
				}
			}
		})
	}
	// Paging: two pages of 20 and 10, newest first, no overlap.
	r1, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}, Limit: 20})
	if err != nil || len(r1.Hits) != 20 || r1.Hits[0].UID != 30 || r1.Next == nil {
		t.Fatalf("page 1: %v %v", r1, err)
	}
	r2, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}, Limit: 20, After: r1.Next})
	if err != nil || len(r2.Hits) != 10 || r2.Hits[0].UID != 10 || r2.Next != nil || r2.Total != 10 {
		t.Fatalf("page 2: %v %v", r2, err)
	}
	if _, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}, Subject: "ab"}); !errors.Is(err, ErrUnanswerable) {
		t.Fatalf("two-character term: %v, want ErrUnanswerable", err)
	}
	rel, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}, Body: "number 17", Relevance: true, Limit: 3})
	if err != nil || len(rel.Hits) == 0 || rel.Hits[0].UID != 17 || !strings.Contains(rel.Hits[0].Snippet, "number 17") {
		t.Fatalf("relevance: %+v %v", rel, err)
	}
}

func TestGetRendersSameMessage(t *testing.T) {
	ix := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	fill(t, ix, 3)
	m, err := ix.Get(context.Background(), "INBOX", 7, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := testMessage(t, "INBOX", 7, 2, "Message 2", "Body of the generated message number 2.").Parsed
	if m.Parsed.Subject != want.Subject || m.Parsed.Text != want.Text || m.Parsed.From[0] != want.From[0] || m.Parsed.MessageID != want.MessageID {
		t.Fatalf("got %+v, want %+v", m.Parsed, want)
	}
	if _, err := ix.Get(context.Background(), "INBOX", 8, 2); !errors.Is(err, ErrNotIndexed) {
		t.Fatalf("other UIDVALIDITY: %v", err)
	}
}

func TestUIDValidityResetEmptiesFolder(t *testing.T) {
	ix := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	fill(t, ix, 5)
	ctx := context.Background()
	reset, err := ix.SetFolder(ctx, "INBOX", 8)
	if err != nil || !reset {
		t.Fatalf("reset %v %v", reset, err)
	}
	r, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}})
	if err != nil || r.Total != 0 {
		t.Fatalf("after reset: %v %v", r, err)
	}
}

func TestCorruptIndexIsRebuilt(t *testing.T) {
	for _, damage := range []string{"truncate", "garble", "header"} {
		t.Run(damage, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			ix, err := Open(context.Background(), path, nil)
			if err != nil {
				t.Fatal(err)
			}
			fill(t, ix, 300)
			ix.Close()
			fi, _ := os.Stat(path)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			switch damage {
			case "truncate":
				err = f.Truncate(fi.Size() / 2)
			case "garble":
				junk := []byte(strings.Repeat("\xde\xad\xbe\xef", 1024))
				for off := int64(4096); off < fi.Size(); off += 3 * 4096 {
					if _, err = f.WriteAt(junk, off); err != nil {
						break
					}
				}
			case "header":
				_, err = f.WriteAt([]byte("not sqlite at all"), 0)
			}
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// Another process holding the lock only reads: it must refuse.
			lk, _, err := filelock.TryLock(path + ".lock")
			if err != nil || lk == nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := openChild(path)
				done <- err
			}()
			if err := <-done; !errors.Is(err, ErrCorrupt) {
				t.Fatalf("reader opened a damaged index: %v", err)
			}
			lk.Unlock()
			ix = openTest(t, path)
			fs, err := ix.Folders(context.Background())
			if err != nil || len(fs) != 0 {
				t.Fatalf("rebuilt index: %v %v", fs, err)
			}
			fill(t, ix, 3)
		})
	}
}

// openChild opens path as a process without the write lock would (flock
// locks belong to open file descriptions, so a second open in this process
// does not get the lock either).
func openChild(path string) (*Index, error) { return Open(context.Background(), path, nil) }
