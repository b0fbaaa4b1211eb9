package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/filelock"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// Service is one account's index in a running process: the open database
// and, in the process that holds the write lock, the syncer that keeps it
// current. A process that opens the index before its writer created it
// (or while it is damaged) retries the open on use, so it is never served
// half made.
type Service struct {
	account string
	path    string
	pool    *imapconn.Pool
	opt     SyncOptions
	log     *slog.Logger

	mu       sync.Mutex
	ix       *Index
	sync     *Syncer
	lastOpen time.Time
	openErr  error
	opening  bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	quick  chan string
}

// reopenEvery bounds how often a reader retries opening the index.
const reopenEvery = 5 * time.Second

// Start opens the index at path for pool's account and, when this process
// is its writer, starts syncing it in the background. It never fails: an
// index that cannot be opened is reported by Index and Status.
func Start(path string, pool *imapconn.Pool, opt SyncOptions) *Service {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{account: pool.Account().ID, path: path, pool: pool, opt: opt, log: opt.Log.With("component", "index", "account", pool.Account().ID),
		ctx: ctx, cancel: cancel, quick: make(chan string, 64)}
	s.opt.Log = s.log
	s.mu.Lock()
	s.openAsyncLocked()
	s.mu.Unlock()
	return s
}

// openAsyncLocked opens the index in the background: the integrity check
// reads the whole file (about a second for a 100 MB index), and a stdio
// process must answer at once; until it is open, search uses the server.
func (s *Service) openAsyncLocked() {
	if s.ix != nil || s.opening || s.ctx.Err() != nil {
		return
	}
	s.opening, s.lastOpen = true, time.Now()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		octx, cancel := context.WithTimeout(s.ctx, time.Minute)
		ix, err := Open(octx, s.path, s.log)
		cancel()
		s.mu.Lock()
		defer s.mu.Unlock()
		s.opening, s.openErr = false, err
		if err != nil {
			if !errors.Is(err, ErrNotReady) {
				s.log.Warn("index: unavailable; search uses the server", "err", err)
			}
			return
		}
		if s.ctx.Err() != nil { // closed meanwhile
			ix.Close()
			return
		}
		s.ix = ix
		if ix.Writer() {
			s.sync = NewSyncer(ix, s.pool, s.opt)
			s.wg.Add(2)
			go func() { defer s.wg.Done(); s.sync.Run(s.ctx) }()
			go func() { defer s.wg.Done(); s.runQuick() }()
		}
	}()
}

// takeoverEvery is how often a reader checks whether the writer is gone
// (its process ended) so that it takes over keeping the index current.
const takeoverEvery = 30 * time.Second

// Index is the open index, or nil when there is none to serve (yet).
func (s *Service) Index() *Index {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.ix == nil && time.Since(s.lastOpen) > reopenEvery:
		s.openAsyncLocked()
	case s.ix != nil && s.sync == nil && time.Since(s.lastOpen) > takeoverEvery:
		s.lastOpen = time.Now()
		if lk, _, err := filelock.TryLock(s.path + ".lock"); err == nil && lk != nil {
			// Nobody maintains the index any more: reopen as its writer.
			lk.Unlock()
			s.ix.Close()
			s.ix = nil
			s.log.Info("index: the process that kept the index current is gone; this one takes over")
			s.openAsyncLocked()
		}
	}
	return s.ix
}

// Account is the account id.
func (s *Service) Account() string { return s.account }

// Syncing reports whether this process maintains the index.
func (s *Service) Syncing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sync != nil
}

// NewMail asks for folder's new messages to be indexed now (the watcher saw
// them arrive, or mailmcp put them there).
func (s *Service) NewMail(folder string) {
	select {
	case s.quick <- folder:
	default:
		s.Kick()
	}
}

// Kick runs a full sync cycle soon.
func (s *Service) Kick() {
	s.mu.Lock()
	sy := s.sync
	s.mu.Unlock()
	if sy != nil {
		sy.Kick()
	}
}

func (s *Service) runQuick() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case f := <-s.quick:
			if err := s.sync.SyncNew(s.ctx, f); err != nil && s.ctx.Err() == nil {
				s.log.Info("index: quick sync failed; the next full sync catches up", "folder", f, "err", err)
			}
		}
	}
}

// Removed drops messages from the index at once (moved or deleted through
// mailmcp, or reported expunged by the watcher).
func (s *Service) Removed(ctx context.Context, refs []imapconn.MessageRef) {
	ix := s.writerIndex()
	if ix == nil {
		return
	}
	for _, r := range refs {
		if err := ix.Delete(ctx, r.Folder, r.UIDValidity, []uint32{uint32(r.UID)}); err != nil {
			s.log.Info("index: could not remove a message; the next sync will", "err", err)
			s.Kick()
			return
		}
	}
}

// FlagsChanged applies a flag change made through mailmcp (add and remove)
// to the indexed messages at once.
func (s *Service) FlagsChanged(ctx context.Context, refs []imapconn.MessageRef, add, remove []string) {
	ix := s.writerIndex()
	if ix == nil {
		return
	}
	if err := ix.ChangeFlags(ctx, refs, add, remove); err != nil {
		s.log.Info("index: could not update flags; the next sync will", "err", err)
		s.Kick()
	}
}

// SetFlags records flags the watcher saw change.
func (s *Service) SetFlags(ctx context.Context, ref imapconn.MessageRef, flags []string) {
	if ix := s.writerIndex(); ix != nil {
		f := slices.Clone(flags)
		slices.Sort(f)
		if err := ix.SetFlags(ctx, ref.Folder, ref.UIDValidity, map[uint32][]string{uint32(ref.UID): f}); err != nil {
			s.Kick()
		}
	}
}

func (s *Service) writerIndex() *Index {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sync == nil {
		return nil
	}
	return s.ix
}

// Close stops syncing and closes the index.
func (s *Service) Close() error {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ix == nil {
		return nil
	}
	err := s.ix.Close()
	s.ix = nil
	return err
}

// Report is the index's state for list_accounts, metrics and the index
// command.
type Report struct {
	State string `json:"state"` // opening, ready, building, unavailable, stopped
	// Messages indexed, and on the server at the last sync.
	Indexed     int       `json:"indexed"`
	ServerCount int       `json:"server_count"`
	SizeBytes   int64     `json:"size_bytes"`
	SyncedAt    time.Time `json:"synced_at,omitzero"`
	Warning     string    `json:"warning,omitempty"`
}

// Report describes the index now.
func (s *Service) Report(ctx context.Context) Report {
	ix := s.Index()
	if ix == nil {
		r := Report{State: "unavailable"}
		s.mu.Lock()
		if s.opening {
			r.State = "opening"
		}
		if s.openErr != nil {
			r.Warning = s.openErr.Error()
		}
		s.mu.Unlock()
		return r
	}
	r := Report{State: "ready", SizeBytes: ix.Size()}
	fs, err := ix.Folders(ctx)
	if err != nil {
		return Report{State: "unavailable", Warning: err.Error()}
	}
	complete := len(fs) > 0
	for i, f := range fs {
		r.Indexed += f.Indexed
		r.ServerCount += f.ServerCount
		complete = complete && f.Complete
		if i == 0 || f.SyncedAt.Before(r.SyncedAt) {
			r.SyncedAt = f.SyncedAt
		}
	}
	if !complete {
		r.State = "building"
	}
	if why := ix.Stopped(); why != "" {
		r.State, r.Warning = "stopped", "indexing stopped: "+why+"; search uses the server"
	}
	s.mu.Lock()
	if s.sync != nil {
		if st := s.sync.Status(); st.LastErr != "" && r.Warning == "" {
			r.Warning = "last sync failed: " + st.LastErr
		}
	}
	s.mu.Unlock()
	return r
}

// String is for logs.
func (r Report) String() string {
	return fmt.Sprintf("%s: %d of %d messages, %d bytes", r.State, r.Indexed, r.ServerCount, r.SizeBytes)
}
