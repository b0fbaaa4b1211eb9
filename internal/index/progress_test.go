package index

import (
	"testing"
	"time"
)

// TestProgressIsBounded: a backfill of 100,000 messages in batches of 200
// announced while it runs fast (10 ms a batch) and slowly (2 s a batch)
// gives a start, the tenths at most once a second or every 5 s, and an
// end: never one announcement per batch.
func TestProgressIsBounded(t *testing.T) {
	for _, perBatch := range []time.Duration{10 * time.Millisecond, 2 * time.Second} {
		clock := time.Now()
		var got []Progress
		r := newProgressReporter(func(p Progress) { got = append(got, p) }, "a", "INBOX", 100_000, 200)
		r.now = func() time.Time { return clock }
		for done := 0; done < 100_000; done += 200 {
			clock = clock.Add(perBatch)
			r.add(200)
		}
		r.end()
		took := time.Duration(500) * perBatch
		limit := 2 + 10 + int(took/progressEvery)
		if len(got) < 3 || len(got) > limit {
			t.Errorf("%s a batch: %d announcements, want 3..%d", perBatch, len(got), limit)
		}
		if f := got[len(got)-1]; !f.Final || f.Done != 100_000 || f.Total != 100_000 || f.Folder != "INBOX" || f.Account != "a" {
			t.Errorf("last announcement %+v", f)
		}
		if got[0].Done != 0 || got[0].Final {
			t.Errorf("first announcement %+v", got[0])
		}
	}
	if r := newProgressReporter(func(Progress) { t.Error("a one-batch backfill was announced") }, "a", "INBOX", 200, 200); r != nil {
		t.Error("reporter for a one-batch backfill")
	}
}
