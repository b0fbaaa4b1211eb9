package index

import (
	"context"
	"path/filepath"
	"testing"
)

// TestCountCap: beyond CountCap matches the total is CountCap marked as a
// lower bound, on every counting path, and paging still reaches every
// match; within it the total stays exact.
func TestCountCap(t *testing.T) {
	ix := openTest(t, filepath.Join(t.TempDir(), "a.db"))
	fill(t, ix, 30)
	ctx := context.Background()
	defer func(c, l int) { CountCap, likeRows = c, l }(CountCap, likeRows)
	CountCap = 12
	cases := []struct {
		name  string
		q     Query
		total int
		least bool
	}{
		{"no criteria", Query{}, 12, true},
		{"text, many", Query{From: "ann exa"}, 12, true},
		{"text, few", Query{Subject: "ESSAGE 2"}, 11, false},
		{"text and flag", Query{Body: "generated", Seen: new(true)}, 12, true},
		{"relevance", Query{Body: "generated", Relevance: true}, 12, true},
	}
	for _, c := range cases {
		for _, like := range []int{0, 1 << 40} {
			likeRows = like
			q := c.q
			q.Folders, q.Limit = []string{"INBOX"}, 5
			seen := map[uint32]bool{}
			for page := 0; ; page++ {
				r, err := ix.Search(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				if page == 0 && (r.Total != c.total || r.AtLeast != c.least) {
					t.Fatalf("%s (likeRows %d): total %d at least %v, want %d %v", c.name, like, r.Total, r.AtLeast, c.total, c.least)
				}
				for _, h := range r.Hits {
					if seen[h.UID] {
						t.Fatalf("%s: UID %d twice", c.name, h.UID)
					}
					seen[h.UID] = true
				}
				if r.Next == nil {
					break
				}
				q.After = r.Next
			}
			want := 30
			if !c.least {
				want = c.total
			}
			if len(seen) != want {
				t.Fatalf("%s (likeRows %d): paged through %d messages, want %d", c.name, like, len(seen), want)
			}
		}
	}
	// As many matches as the cap: exact.
	CountCap = 11
	r, err := ix.Search(ctx, Query{Folders: []string{"INBOX"}, Subject: "Message 1", Limit: 5})
	if err != nil || r.Total != 11 || r.AtLeast {
		t.Fatalf("11 matches, cap 11: total %d at least %v, %v", r.Total, r.AtLeast, err)
	}
}
