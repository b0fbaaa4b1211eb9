package watch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// FeedOptions tune a Feed; zero values mean the defaults.
type FeedOptions struct {
	// MaxEvents bounds the events kept (10000).
	MaxEvents int
	// MaxAge drops older events (7 days).
	MaxAge time.Duration
	// Recheck is how often waiters re-read the store for events appended by
	// other processes (1 s). Events appended in this process wake them at once.
	Recheck time.Duration
}

func (o *FeedOptions) withDefaults() {
	if o.MaxEvents <= 0 {
		o.MaxEvents = 10000
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 7 * 24 * time.Hour
	}
	if o.Recheck <= 0 {
		o.Recheck = time.Second
	}
}

// Sink receives events inside the transaction that appends them, so that
// work queued for an event (a webhook delivery) is durable exactly when the
// event is. Enqueue must only use tx.
type Sink interface {
	Enqueue(tx store.Tx, evs []Event) error
}

// Feed is the durable event log of every watched folder.
type Feed struct {
	st  store.Store
	opt FeedOptions

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced on every append
	sinks     []Sink
	listeners []func([]Event)
}

// NewFeed uses st for events and checkpoints.
func NewFeed(st store.Store, opt FeedOptions) *Feed {
	opt.withDefaults()
	return &Feed{st: st, opt: opt, changed: make(chan struct{})}
}

// Store is the feed's store.
func (f *Feed) Store() store.Store { return f.st }

// AddSink registers a sink for every later append.
func (f *Feed) AddSink(s Sink) {
	f.mu.Lock()
	f.sinks = append(f.sinks, s)
	f.mu.Unlock()
}

// Listen calls fn after each append in this process, with the new events.
// fn must not block.
func (f *Feed) Listen(fn func([]Event)) {
	f.mu.Lock()
	f.listeners = append(f.listeners, fn)
	f.mu.Unlock()
}

// Changed is closed at the next append made in this process.
func (f *Feed) Changed() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// Wake makes waiters re-read the store now, without waiting for Recheck:
// another replica appended (a PostgreSQL notification said so).
func (f *Feed) Wake() {
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	f.mu.Unlock()
}

func (f *Feed) notify(evs []Event) {
	f.mu.Lock()
	close(f.changed)
	f.changed = make(chan struct{})
	ls := append([]func([]Event){}, f.listeners...)
	f.mu.Unlock()
	for _, fn := range ls {
		fn(evs)
	}
}

// Cursor renders an event id as the opaque cursor tools hand out.
func Cursor(id uint64) string { return strconv.FormatUint(id, 10) }

// ParseCursor reads a cursor made by Cursor.
func ParseCursor(s string) (uint64, error) {
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fault.Errorf(fault.Invalid, "watch", "%q is not a cursor from watch_inbox", s)
	}
	return id, nil
}

// Head returns the id of the newest event (0 when there is none).
func (f *Feed) Head(ctx context.Context) (uint64, error) {
	var head uint64
	err := f.st.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(bucketEvents).Scan(store.ScanOptions{Reverse: true}, func(k string, _ []byte) error {
			head, _ = strconv.ParseUint(k, 10, 64)
			return store.ErrStop
		})
	})
	if err != nil {
		return 0, storeErr("read feed head", err)
	}
	return head, nil
}

// Page is one read of the feed.
type Page struct {
	Events []Event
	// Next is the cursor to read after: past every event examined, whether
	// it matched or not.
	Next uint64
	// Gap: events after the cursor were already dropped by retention.
	Gap bool
	// More: the read stopped at the limit; more events may follow.
	More bool
}

// maxScan bounds the events one Read examines.
const maxScan = 5000

// Read returns up to limit events after cursor that match flt.
func (f *Feed) Read(ctx context.Context, after uint64, limit int, flt *Filter) (Page, error) {
	p := Page{Next: after}
	first := true
	scanned := 0
	err := f.st.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(bucketEvents).Scan(store.ScanOptions{After: eventKey(after)}, func(k string, v []byte) error {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %s: %w", k, err)
			}
			if first && after > 0 && e.ID > after+1 {
				p.Gap = true
			}
			first = false
			if len(p.Events) == limit || scanned == maxScan {
				p.More = true
				return store.ErrStop
			}
			scanned++
			p.Next = e.ID
			if flt == nil || flt.Match(&e) {
				p.Events = append(p.Events, e)
			}
			return nil
		})
	})
	if err != nil {
		return Page{Next: after}, storeErr("read feed", err)
	}
	return p, nil
}

// Wait reads after cursor; when nothing matches it waits for appends until
// ctx ends, then returns the (possibly empty) page. tick, when not nil, is
// called about every second while waiting (progress notifications).
func (f *Feed) Wait(ctx context.Context, after uint64, limit int, flt *Filter, tick func()) (Page, error) {
	t := time.NewTicker(f.opt.Recheck)
	defer t.Stop()
	// Reads outlive ctx's deadline (bounded by the store's lock timeout):
	// the wait ending must not turn into a failed read.
	rctx := context.WithoutCancel(ctx)
	for {
		changed := f.Changed() // before reading: no append can slip between
		p, err := f.Read(rctx, after, limit, flt)
		if err != nil || len(p.Events) > 0 {
			return p, err
		}
		after = p.Next
		select {
		case <-ctx.Done():
			return p, nil
		case <-changed:
		case <-t.C:
			if tick != nil {
				tick()
			}
		}
	}
}

// appendFn computes, from the checkpoint committed so far (nil when none),
// the events to append and the new checkpoint. It runs inside the
// transaction and must not have other side effects.
type appendFn func(cp *Checkpoint) (*Checkpoint, []Event, error)

// append runs fn in one transaction with the folder's checkpoint, gives the
// events ids, stores them, feeds the sinks, saves the checkpoint and applies
// retention. It returns the events appended.
func (f *Feed) append(ctx context.Context, account, folder string, fn appendFn) ([]Event, error) {
	f.mu.Lock()
	sinks := append([]Sink(nil), f.sinks...)
	f.mu.Unlock()
	var out []Event
	err := f.st.Update(ctx, func(tx store.Tx) error {
		out = nil
		cp, err := loadCheckpoint(tx, account, folder)
		if err != nil {
			return err
		}
		next, evs, err := fn(cp)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketEvents)
		now := time.Now().UTC()
		for i := range evs {
			id, err := b.NextSeq()
			if err != nil {
				return err
			}
			evs[i].ID, evs[i].Time = id, now
			v, err := json.Marshal(&evs[i])
			if err != nil {
				return err
			}
			if err := b.Put(eventKey(id), v); err != nil {
				return err
			}
		}
		if len(evs) > 0 {
			for _, s := range sinks {
				if err := s.Enqueue(tx, evs); err != nil {
					return err
				}
			}
			if err := f.prune(b, evs[len(evs)-1].ID, now); err != nil {
				return err
			}
		}
		if next != nil && (cp == nil || *next != *cp || len(evs) > 0) {
			if err := saveCheckpoint(tx, account, folder, next); err != nil {
				return err
			}
		}
		out = evs
		return nil
	})
	if err != nil {
		return nil, storeErr(fmt.Sprintf("append events of %s/%s", account, folder), err)
	}
	if len(out) > 0 {
		f.notify(out)
	}
	return out, nil
}

// prune drops events beyond MaxEvents or older than MaxAge, a bounded
// number per transaction.
func (f *Feed) prune(b store.Bucket, newest uint64, now time.Time) error {
	var drop []string
	minKeep := uint64(0)
	if newest > uint64(f.opt.MaxEvents) {
		minKeep = newest - uint64(f.opt.MaxEvents) + 1
	}
	cutoff := now.Add(-f.opt.MaxAge)
	err := b.Scan(store.ScanOptions{}, func(k string, v []byte) error {
		id, _ := strconv.ParseUint(k, 10, 64)
		if id >= minKeep {
			var e struct {
				Time time.Time `json:"time"`
			}
			if json.Unmarshal(v, &e) == nil && !e.Time.Before(cutoff) {
				return store.ErrStop
			}
		}
		drop = append(drop, k)
		if len(drop) == 1000 {
			return store.ErrStop
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Recent returns up to n of the newest events that match flt, newest first.
func (f *Feed) Recent(ctx context.Context, n int, flt *Filter) ([]Event, error) {
	var out []Event
	scanned := 0
	err := f.st.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(bucketEvents).Scan(store.ScanOptions{Reverse: true}, func(k string, v []byte) error {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %s: %w", k, err)
			}
			if flt == nil || flt.Match(&e) {
				out = append(out, e)
			}
			scanned++
			if len(out) == n || scanned == maxScan {
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil {
		return nil, storeErr("read recent events", err)
	}
	return out, nil
}

// storeErr classifies a failure of the feed's store: the caller's context
// ending, a kind already given beneath, or else a local resource failing.
func storeErr(what string, err error) error {
	switch {
	case fault.As(err) != nil:
		return fmt.Errorf("watch: %s: %w", what, err)
	case errors.Is(err, context.Canceled):
		return fault.Errorf(fault.Cancelled, "watch", "watch: %s: %w", what, err)
	case errors.Is(err, context.DeadlineExceeded):
		return fault.Errorf(fault.Timeout, "watch", "watch: %s: %w", what, err)
	}
	return fault.Errorf(fault.Local, "watch", "watch: %s: %w", what, err)
}
