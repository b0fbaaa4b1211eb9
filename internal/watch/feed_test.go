package watch

import (
	"context"
	"testing"
)

// TestFeedRetentionAndGap: only the newest MaxEvents stay; a cursor from
// before them reads what is left and reports the gap.
func TestFeedRetentionAndGap(t *testing.T) {
	feed := NewFeed(openStore(t, t.TempDir()), FeedOptions{MaxEvents: 5})
	ctx := context.Background()
	for i := 1; i <= 12; i++ {
		_, err := feed.append(ctx, "a", "INBOX", func(cp *Checkpoint) (*Checkpoint, []Event, error) {
			next := &Checkpoint{UIDValidity: 1, LastUID: uint32(i)}
			return next, []Event{{Kind: KindMessage, Account: "a", Folder: "INBOX", UIDValidity: 1, UID: uint32(i)}}, nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	head, err := feed.Head(ctx)
	if err != nil || head != 12 {
		t.Fatalf("head %d %v", head, err)
	}
	p, err := feed.Read(ctx, 2, 100, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Gap || len(p.Events) != 5 || p.Events[0].ID != 8 || p.Next != 12 {
		t.Fatalf("page: gap %v, %d events from %d, next %d", p.Gap, len(p.Events), p.Events[0].ID, p.Next)
	}
	p, _ = feed.Read(ctx, 9, 2, &Filter{Kinds: []Kind{KindMessage}})
	if p.Gap || len(p.Events) != 2 || !p.More || p.Next != 11 {
		t.Fatalf("page: %+v", p)
	}
	recent, _ := feed.Recent(ctx, 3, nil)
	if len(recent) != 3 || recent[0].ID != 12 {
		t.Fatalf("recent: %+v", recent)
	}
}
