package watch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/metrics"
)

// share is the one connection that an account's polled watchers take turns
// on. Folders beyond the account's IDLE budget (Target.IdleConnections) are
// visited every poll interval: STATUS, and SELECT plus the catch-up only
// when STATUS shows a change. So however many folders are watched, the
// watchers of an account hold at most IdleConnections + 1 connections.
type share struct {
	acct    *imapconn.Account
	timeout time.Duration

	turn chan struct{}           // a one-slot semaphore: one visit at a time
	cur  atomic.Pointer[Watcher] // whose visit it is: unilateral data goes there
	c    *imapconn.Conn          // held by whoever has the turn

	mu   sync.Mutex
	refs int // running watchers using the share
}

func newShare(acct *imapconn.Account, timeout time.Duration) *share {
	return &share{acct: acct, timeout: timeout, turn: make(chan struct{}, 1)}
}

func (s *share) add() {
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
}

// done: a watcher using the share ended; the last one closes the
// connection (a later watcher dials again).
func (s *share) done() {
	s.mu.Lock()
	s.refs--
	last := s.refs == 0
	s.mu.Unlock()
	if !last {
		return
	}
	s.turn <- struct{}{}
	if s.c != nil {
		s.c.Client().Close()
		s.c = nil
	}
	<-s.turn
}

// visit runs fn on the shared connection on behalf of w, dialling it first
// when there is none. A failure other than the server's refusal (a dropped
// connection, a timeout) closes it; the next visit dials again.
func (s *share) visit(ctx context.Context, w *Watcher, fn func(conn *imapconn.Conn) error) error {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.turn }()
	if s.c != nil {
		select {
		case <-s.c.Client().Closed():
			s.c = nil
		default:
		}
	}
	if s.c == nil {
		c, err := imapconn.DialConn(ctx, s.acct, imapconn.DialOptions{Timeout: s.timeout, Unilateral: s.handler()}, nil)
		if err != nil {
			return err
		}
		s.c = c
	}
	s.cur.Store(w)
	defer s.cur.Store(nil)
	err := fn(s.c)
	var refusal *imap.Error
	if err != nil && !errors.As(err, &refusal) {
		s.c.Client().Close()
		s.c = nil
	}
	return err
}

// handler hands unilateral data to the watcher whose visit it is; between
// visits it is dropped (the next visit's STATUS notices the change).
func (s *share) handler() *imapclient.UnilateralDataHandler {
	return &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if w := s.cur.Load(); w != nil {
				w.h.Mailbox(d)
			}
		},
		Expunge: func(seq uint32) {
			if w := s.cur.Load(); w != nil {
				w.h.Expunge(seq)
			}
		},
		Fetch: func(msg *imapclient.FetchMessageData) {
			if w := s.cur.Load(); w != nil {
				w.h.Fetch(msg)
				return
			}
			_, _ = msg.Collect() // read it, or the connection stalls
		},
	}
}

// polled watches the folder by visits on the account's shared connection
// every poll interval, until a visit fails or ctx ends.
func (w *Watcher) polled(ctx context.Context, sh *share, bo *backoff) error {
	var seen *imap.StatusData // what the last visit caught up to
	for {
		err := sh.visit(ctx, w, func(conn *imapconn.Conn) error {
			c := conn.Client()
			if seen != nil {
				st, err := w.status(ctx, conn)
				if err != nil {
					return err
				}
				if sameStatus(st, seen) {
					return nil
				}
				w.log.Debug("folder changed; catching up", "messages", st.NumMessages, "uidnext", st.UIDNext)
			}
			sel, err := w.attach(ctx, conn)
			if err != nil {
				return err
			}
			n := sel.NumMessages
			seen = &imap.StatusData{NumMessages: &n, UIDNext: sel.UIDNext, UIDValidity: sel.UIDValidity, HighestModSeq: sel.HighestModSeq}
			// Leave no folder selected: STATUS on the selected folder
			// answers from the session's stale view (RFC 9051 6.3.11).
			return w.cmd(ctx, c, "unselect", func() error {
				if c.Caps().Has(imap.CapUnselect) || c.Caps().Has(imap.CapIMAP4rev2) {
					return c.Unselect().Wait()
				}
				// Opened with EXAMINE: CLOSE expunges nothing (RFC 9051 6.4.1).
				return c.UnselectAndExpunge().Wait()
			})
		})
		if err != nil {
			return err
		}
		bo.reset()
		w.setErr(nil)
		w.readyOnce.Do(func() {
			metrics.SetWatcherState(w.acct.ID, w.folder, "polling")
			close(w.ready)
		})
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(w.opt.PollInterval):
		case <-w.poke: // NOTIFY said the folder changed
		}
	}
}

// status asks for what tells whether the folder changed (RFC 9051 6.3.11;
// HIGHESTMODSEQ with CONDSTORE, RFC 7162 3.1.6).
func (w *Watcher) status(ctx context.Context, conn *imapconn.Conn) (*imap.StatusData, error) {
	c := conn.Client()
	var st *imap.StatusData
	err := w.cmd(ctx, c, "status", func() error {
		var err error
		st, err = c.Status(conn.ServerName(w.folder), &imap.StatusOptions{NumMessages: true, UIDNext: true, UIDValidity: true,
			HighestModSeq: c.Caps().Has(imap.CapCondStore)}).Wait()
		return err
	})
	return st, err
}

func sameStatus(a, b *imap.StatusData) bool {
	return a.NumMessages != nil && b.NumMessages != nil && *a.NumMessages == *b.NumMessages &&
		a.UIDNext == b.UIDNext && a.UIDValidity == b.UIDValidity && a.HighestModSeq == b.HighestModSeq
}
