package watch

import (
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// Target is one account the hub may watch.
type Target struct {
	Account *imapconn.Account
	// Folders watched by default (INBOX when empty).
	Folders []string
	// Always: watch Folders continuously from Start (daemon mode);
	// otherwise only while a consumer holds them (Acquire).
	Always bool
	// Options for this account's watchers (poll interval, body size, …).
	Options Options
	// IdleConnections bounds the connections this account's watchers hold
	// for IDLE (default 1): the first IdleConnections of Folders IDLE on a
	// connection each; every other folder (also one acquired on demand) is
	// checked every Options.PollInterval over one connection they share.
	// So the watchers hold at most IdleConnections + 1 connections, next
	// to the command pool's MaxConns. Negative: every folder IDLEs on its
	// own connection.
	IdleConnections int
}

// HubOptions tune a Hub.
type HubOptions struct {
	// Linger keeps an on-demand watcher connected this long after its last
	// consumer let go, so consecutive long-polls reuse it (60 s).
	Linger time.Duration
	Log    *slog.Logger
	// Elsewhere, when set, reports that another replica watches
	// account/folder (it holds the folder's lease). Acquire then starts no
	// watcher of its own: the other replica appends to the shared feed,
	// and a consumer here reads it.
	Elsewhere func(account, folder string) bool
}

// Hub owns the watchers of one process: continuous ones for accounts that
// enable watching, and on-demand ones for consumers such as watch_inbox in
// a stdio process. Every watcher appends to the same Feed.
type Hub struct {
	feed *Feed
	opt  HubOptions

	mu       sync.Mutex
	targets  map[string]Target
	order    []string
	watchers map[string]*entry
	shares   map[string]*share // by account: its polled watchers' connection
	closed   bool
	// lingering counts watchers a linger timer took out of watchers and is
	// closing; Close waits for them too.
	lingering sync.WaitGroup
}

type entry struct {
	w      *Watcher
	refs   int
	always bool
	linger *time.Timer // guarded by Hub.mu
}

// NewHub prepares watchers for targets; none runs until Start or Acquire.
func NewHub(feed *Feed, targets []Target, opt HubOptions) *Hub {
	if opt.Linger <= 0 {
		opt.Linger = time.Minute
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{feed: feed, opt: opt, targets: map[string]Target{}, watchers: map[string]*entry{}, shares: map[string]*share{}}
	for _, t := range targets {
		if len(t.Folders) == 0 {
			t.Folders = []string{"INBOX"}
		}
		if t.IdleConnections == 0 {
			t.IdleConnections = 1
		}
		if t.Options.Log == nil {
			t.Options.Log = opt.Log
		}
		h.targets[t.Account.ID] = t
		h.order = append(h.order, t.Account.ID)
	}
	return h
}

// Feed is the hub's event feed.
func (h *Hub) Feed() *Feed { return h.feed }

// FolderRef names a watched folder.
type FolderRef struct{ Account, Folder string }

// Watched lists the folders watched continuously or by default, in order.
func (h *Hub) Watched() []FolderRef {
	var out []FolderRef
	for _, id := range h.order {
		for _, f := range h.targets[id].Folders {
			out = append(out, FolderRef{id, f})
		}
	}
	return out
}

// Folders returns the default folders of an account (nil when unknown).
func (h *Hub) Folders(account string) []string {
	return h.targets[account].Folders
}

// Start starts every continuous watcher.
func (h *Hub) Start() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return // a watcher started now would outlive Close
	}
	for _, id := range h.order {
		t := h.targets[id]
		if !t.Always {
			continue
		}
		for _, f := range t.Folders {
			e := h.entryLocked(t, f)
			e.always = true
		}
	}
}

func key(account, folder string) string { return account + "\x00" + folder }

func (h *Hub) entryLocked(t Target, folder string) *entry {
	k := key(t.Account.ID, folder)
	e := h.watchers[k]
	if e == nil {
		if i := slices.Index(t.Folders, folder); t.IdleConnections < 0 || (i >= 0 && i < t.IdleConnections) {
			var nt *notifier
			if i == 0 && t.IdleConnections > 0 && len(t.Folders) > t.IdleConnections {
				id := t.Account.ID
				nt = &notifier{folders: t.Folders[t.IdleConnections:], poke: func(name string) { h.poke(id, name) }}
			}
			e = &entry{w: start(t.Account, folder, h.feed, t.Options, nil, nt)}
		} else {
			sh := h.shares[t.Account.ID]
			if sh == nil {
				sh = newShare(t.Account, t.Options.DialTimeout)
				h.shares[t.Account.ID] = sh
			}
			e = &entry{w: start(t.Account, folder, h.feed, t.Options, sh, nil)}
		}
		h.watchers[k] = e
	}
	if e.linger != nil {
		e.linger.Stop()
		e.linger = nil
	}
	return e
}

// poke wakes the polled watcher of account/folder for a visit now (every
// polled watcher of the account when folder is ""). It runs on a
// connection's reader goroutine: it only signals.
func (h *Hub) poke(account, folder string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, e := range h.watchers {
		if k == key(account, folder) || (folder == "" && e.w.acct.ID == account) {
			select {
			case e.w.poke <- struct{}{}:
			default:
			}
		}
	}
}

// Acquire returns a running watcher for account/folder, starting one when
// needed, and a release function the consumer must call when done.
func (h *Hub) Acquire(account, folder string) (*Watcher, func(), error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil, fault.New(fault.Unavailable, "watch", "watch: mailmcp is shutting down")
	}
	t, ok := h.targets[account]
	if !ok {
		return nil, nil, fault.Errorf(fault.NotFound, "watch", "watch: unknown account %q", account).WithHint("Call list_accounts to see the account names")
	}
	if h.opt.Elsewhere != nil && h.watchers[key(account, folder)] == nil && h.opt.Elsewhere(account, folder) {
		return remote(t.Account, folder), func() {}, nil
	}
	e := h.entryLocked(t, folder)
	e.refs++
	var once sync.Once
	release := func() { once.Do(func() { h.release(account, folder) }) }
	return e.w, release, nil
}

func (h *Hub) release(account, folder string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := key(account, folder)
	e := h.watchers[k]
	if e == nil {
		return
	}
	e.refs--
	if e.refs > 0 || e.always || h.closed {
		return
	}
	e.linger = time.AfterFunc(h.opt.Linger, func() {
		h.mu.Lock()
		if h.watchers[k] != e || e.refs > 0 || e.linger == nil {
			h.mu.Unlock()
			return
		}
		delete(h.watchers, k)
		e.linger = nil
		h.lingering.Add(1) // under mu, so before Close can Wait
		h.mu.Unlock()
		defer h.lingering.Done()
		e.w.Close()
	})
}

// Close stops every watcher, including those a linger timer is closing,
// and returns when all of them have ended.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	ws := h.watchers
	h.watchers = map[string]*entry{}
	for _, e := range ws {
		if e.linger != nil {
			// A timer that fired already finds its entry gone and leaves
			// the watcher to this Close.
			e.linger.Stop()
			e.linger = nil
		}
	}
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, e := range ws {
		wg.Add(1)
		go func() { defer wg.Done(); e.w.Close() }()
	}
	wg.Wait()
	h.lingering.Wait()
}
