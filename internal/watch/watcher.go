package watch

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/metrics"
)

// Watcher follows one folder of one account, over a dedicated connection or
// by visits on the account's shared one, and appends its changes to a Feed.
// It owns its goroutine and its connection; Close stops both.
type Watcher struct {
	acct   *imapconn.Account
	folder string
	feed   *Feed
	opt    Options
	log    *slog.Logger

	h      *imapclient.UnilateralDataHandler // w.handler(), made once
	wake   chan struct{}                     // a handler saw a change
	cancel context.CancelFunc
	done   chan struct{}

	ready     chan struct{} // closed after the first catch-up
	readyOnce sync.Once

	mu      sync.Mutex
	uids    []imap.UID // UIDs by sequence number (index = seq-1)
	pending pendingChanges
	lastErr error

	// Owned by the watcher goroutine.
	uidValidity uint32
	lastUID     imap.UID
	condstore   bool
	// highestModSeq is the folder's HIGHESTMODSEQ at SELECT (0: none).
	highestModSeq uint64
	// sched says how often to look for mail while idling; it survives
	// reconnects (a server that does not push keeps not pushing).
	sched checkSchedule

	// notify, on an account's first dedicated watcher, asks the server to
	// announce changes in the account's polled folders (nil: none).
	notify *notifier
	// poke wakes a polled watcher for a visit before its poll interval.
	poke chan struct{}
}

// pendingChanges are what the unilateral-data handlers saw since the last sync.
type pendingChanges struct {
	observed time.Time // first change since the last sync
	expunged []imap.UID
	flags    []flagChange
	fetched  bool // any unilateral FETCH (CONDSTORE: query CHANGEDSINCE)
}

type flagChange struct {
	uid   imap.UID
	flags []imap.Flag
}

// Start begins watching folder of acct over a connection of its own. The
// first connection is made in the background; Ready is closed after its
// catch-up, Err tells why it failed.
func Start(acct *imapconn.Account, folder string, feed *Feed, opt Options) *Watcher {
	return start(acct, folder, feed, opt, nil, nil)
}

// start begins watching; with sh, by visits on the account's shared
// connection every poll interval instead of a connection of its own; with
// nt, asking its connection to announce changes in other folders.
func start(acct *imapconn.Account, folder string, feed *Feed, opt Options, sh *share, nt *notifier) *Watcher {
	opt.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	w := &Watcher{
		acct: acct, folder: folder, feed: feed, opt: opt,
		log:  opt.Log.With("component", "watch", "account", acct.ID, "folder", folder),
		wake: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{}), ready: make(chan struct{}),
		sched: newCheckSchedule(opt.PollInterval, opt.IdleRefresh),
		poke:  make(chan struct{}, 1), notify: nt,
	}
	w.h = w.handler()
	metrics.SetWatcherState(acct.ID, folder, "starting")
	if sh != nil {
		sh.add() // before run, so that no other watcher's end closes it meanwhile
	}
	go w.run(ctx, sh)
	return w
}

// remote is the stand-in for a folder another replica watches: ready at
// once, never connected, nothing to close.
func remote(acct *imapconn.Account, folder string) *Watcher {
	w := &Watcher{acct: acct, folder: folder, ready: make(chan struct{}), done: make(chan struct{})}
	close(w.ready)
	close(w.done)
	return w
}

// Account and Folder name what is watched.
func (w *Watcher) Account() string { return w.acct.ID }
func (w *Watcher) Folder() string  { return w.folder }

// Ready is closed once the watcher has caught up after its first connection.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

// Err is the last connection error (nil while connected).
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastErr
}

// Close stops the watcher and waits for its connection to close.
func (w *Watcher) Close() {
	w.cancel()
	<-w.done
}

func (w *Watcher) setErr(err error) {
	w.mu.Lock()
	w.lastErr = err
	w.mu.Unlock()
}

// run keeps the watcher going until ctx ends: sessions on a dedicated
// connection, or, with sh, visits on the account's shared one.
func (w *Watcher) run(ctx context.Context, sh *share) {
	defer close(w.done)
	defer metrics.ForgetWatcher(w.acct.ID, w.folder)
	if sh != nil {
		defer sh.done()
	}
	bo := backoff{min: w.opt.BackoffMin, max: w.opt.BackoffMax}
	for {
		var err error
		if sh != nil {
			err = w.polled(ctx, sh, &bo)
		} else {
			err = w.session(ctx, &bo)
		}
		if ctx.Err() != nil {
			return
		}
		w.setErr(err)
		metrics.SetWatcherState(w.acct.ID, w.folder, "reconnecting")
		d := bo.next()
		w.log.Warn("watcher connection ended; reconnecting", "err", err, "in", d.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(d):
		}
	}
}

// handler receives unilateral data on the reader goroutine: record, signal,
// return (it blocks the connection while it runs).
func (w *Watcher) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				w.note(func(*pendingChanges) {})
			}
		},
		Expunge: func(seq uint32) {
			w.note(func(p *pendingChanges) {
				// RFC 9051 7.5.1: later sequence numbers shift down by one.
				if i := int(seq) - 1; i >= 0 && i < len(w.uids) {
					p.expunged = append(p.expunged, w.uids[i])
					w.uids = slices.Delete(w.uids, i, i+1)
				}
			})
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			buf, err := msg.Collect() // go-imap calls this on its own goroutine
			if err != nil || buf == nil {
				return
			}
			w.log.Debug("unilateral fetch", "seq", buf.SeqNum, "uid", buf.UID, "flags", buf.Flags)
			w.note(func(p *pendingChanges) {
				p.fetched = true
				if buf.Flags == nil {
					return
				}
				uid := buf.UID
				if uid == 0 {
					if i := int(buf.SeqNum) - 1; i >= 0 && i < len(w.uids) {
						uid = w.uids[i]
					}
				}
				if uid != 0 {
					p.flags = append(p.flags, flagChange{uid: uid, flags: buf.Flags})
				}
			})
		},
	}
}

func (w *Watcher) note(fn func(*pendingChanges)) {
	w.mu.Lock()
	if w.pending.observed.IsZero() {
		w.pending.observed = time.Now()
	}
	fn(&w.pending)
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *Watcher) takePending() pendingChanges {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.pending
	w.pending = pendingChanges{}
	return p
}

// cmd runs fn under the command timeout and the engine's watchdog (see
// imapconn.Guard): when the timeout expires or ctx ends the connection is
// closed, and the error is a classified *fault.Error.
func (w *Watcher) cmd(ctx context.Context, c *imapclient.Client, op string, fn func() error) error {
	cctx, cancel := context.WithTimeout(ctx, w.opt.CommandTimeout)
	defer cancel()
	return imapconn.Guard(cctx, c, op, fn)
}

// errClosed is the session's end when the server closed the connection.
func errClosed() error {
	return fault.New(fault.ConnLost, "watch", "the IMAP server closed the watcher's connection")
}

// session runs one connection: connect, select, catch up, then IDLE or poll
// until something fails or ctx ends.
func (w *Watcher) session(ctx context.Context, bo *backoff) error {
	var tap func([]byte)
	if w.notify != nil {
		tap = w.notify.tap
	}
	conn, ac, err := dialDedicated(ctx, w.acct, w.opt.DialTimeout, w.h, tap)
	if err != nil {
		return err
	}
	c := conn.Client()
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	sel, err := w.attach(ctx, conn)
	if err != nil {
		return err
	}
	if err := w.notify.set(ctx, conn, w.opt.CommandTimeout, w.log); err != nil {
		return err
	}
	bo.reset()
	w.setErr(nil)
	w.readyOnce.Do(func() { close(w.ready) })
	w.log.Debug("watching", "idle", c.Caps().Has(imap.CapIdle) && !w.opt.Poll, "condstore", w.condstore, "messages", sel.NumMessages)
	if c.Caps().Has(imap.CapIdle) && !w.opt.Poll {
		metrics.SetWatcherState(w.acct.ID, w.folder, "idle")
		return w.idleLoop(ctx, c, ac)
	}
	metrics.SetWatcherState(w.acct.ID, w.folder, "polling")
	return w.pollLoop(ctx, c)
}

// attach selects the folder (read-only) on c and catches up from the
// checkpoint: the sequence map, a baseline or reset, and every change since.
func (w *Watcher) attach(ctx context.Context, conn *imapconn.Conn) (*imap.SelectData, error) {
	c := conn.Client()
	w.condstore = c.Caps().Has(imap.CapCondStore)
	var sel *imap.SelectData
	err := w.cmd(ctx, c, fmt.Sprintf("select %q", w.folder), func() error {
		var err error
		sel, err = c.Select(conn.ServerName(w.folder), &imap.SelectOptions{ReadOnly: true, CondStore: w.condstore}).Wait()
		return err
	})
	if err != nil {
		return nil, err
	}
	if sel.HighestModSeq == 0 {
		w.condstore = false // RFC 7162 3.1.2.2: NOMODSEQ
	}
	w.highestModSeq = sel.HighestModSeq
	observed := time.Now()
	gone, err := w.catchUp(ctx, c, sel)
	if err != nil {
		return nil, err
	}
	if err := w.baseline(ctx, sel); err != nil {
		return nil, err
	}
	if len(gone) > 0 {
		w.mu.Lock()
		w.pending.expunged = append(w.pending.expunged, gone...)
		w.mu.Unlock()
	}
	if _, err := w.sync(ctx, c, observed, true, false); err != nil {
		return nil, err
	}
	return sel, nil
}
