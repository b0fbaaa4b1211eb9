package index

import "time"

// Progress is one announcement of a folder's backfill, for MCP logging
// notifications and the index command: counts and the folder's name only.
type Progress struct {
	Account string
	Folder  string
	// Done of Total messages of this backfill are indexed.
	Done, Total int
	// Final: the backfill of the folder ended (Done < Total when it was
	// stopped: index_max_bytes, a full disk, an error).
	Final bool
}

// Announcements are rate-limited: at the start, when another tenth is done
// (at most one a second), at least every progressEvery, and at the end:
// about a dozen per folder however large. Backfills of one batch or less
// (new mail, a small folder) are not announced.
const (
	progressEvery  = 5 * time.Second
	progressMinGap = time.Second
)

// progressReporter announces one folder's backfill.
type progressReporter struct {
	fn     func(Progress)
	p      Progress
	last   time.Time
	tenths int
	now    func() time.Time
}

func newProgressReporter(fn func(Progress), account, folder string, total, batch int) *progressReporter {
	if fn == nil || total <= batch {
		return nil
	}
	r := &progressReporter{fn: fn, p: Progress{Account: account, Folder: folder, Total: total}, now: time.Now}
	r.emit()
	return r
}

func (r *progressReporter) emit() {
	r.last = r.now()
	r.fn(r.p)
}

// add records n more messages done.
func (r *progressReporter) add(n int) {
	if r == nil {
		return
	}
	r.p.Done += n
	since := r.now().Sub(r.last)
	tenths := r.p.Done * 10 / r.p.Total
	if r.p.Done < r.p.Total && (since >= progressEvery || (tenths > r.tenths && since >= progressMinGap)) { // the end is announced by end
		r.tenths = tenths
		r.emit()
	}
}

// end announces the end of the backfill.
func (r *progressReporter) end() {
	if r == nil {
		return
	}
	r.p.Final = true
	r.emit()
}
