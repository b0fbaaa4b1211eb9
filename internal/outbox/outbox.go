package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// Store namespaces.
const (
	bucketItems = "outbox.items"
	bucketKeys  = "outbox.keys"    // account \x00 idempotency key → item id
	bucketSeen  = "outbox.reports" // account \x00 report message id → item id
)

// Config for New.
type Config struct {
	Store store.Store
	Dir   string // message files and owner locks, e.g. <state>/outbox
	// Owners and Bodies default to flocked owner files and message files
	// in Dir, for processes on one machine. Replicas sharing a database
	// set StoreOwners and StoreBodies instead.
	Owners    Owners
	Bodies    Bodies
	Transport Transport
	Log       *slog.Logger

	// Zero values take the defaults in brackets.
	BaseDelay      time.Duration // first retry delay [30 s]
	MaxDelay       time.Duration // longest retry delay [30 min]
	MaxAge         time.Duration // give up retrying after [48 h]
	Poll           time.Duration // worker scan interval [30 s]
	AttemptTimeout time.Duration // one submission [5 min]
	Retain         time.Duration // finished items are kept for [30 days]

	// OnQueue, when set, is told after every sweep how many items wait to
	// be sent (queued or being submitted), by account; accounts with none
	// are absent. It feeds the outbox_queue_size metric.
	OnQueue func(waiting map[string]int)
}

func (c *Config) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.BaseDelay, 30*time.Second)
	def(&c.MaxDelay, 30*time.Minute)
	def(&c.MaxAge, 48*time.Hour)
	def(&c.Poll, 30*time.Second)
	def(&c.AttemptTimeout, 5*time.Minute)
	def(&c.Retain, 30*24*time.Hour)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Outbox journals and submits outgoing mail. It is safe for concurrent use.
type Outbox struct {
	cfg     Config
	log     *slog.Logger
	token   string
	release func()

	// ctx is cancelled on hard stop; every attempt runs under it.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	running  map[string]chan struct{}
	closing  bool
	started  bool
	attempts sync.WaitGroup

	wake       chan struct{}
	stopWorker chan struct{}
	workerDone chan struct{}
}

// New opens the outbox; no goroutine runs until Start.
func New(cfg Config) (*Outbox, error) {
	cfg.defaults()
	if cfg.Store == nil || cfg.Transport == nil || cfg.Dir == "" {
		return nil, errors.New("outbox: Store, Transport and Dir are required")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, dirError(cfg.Dir, fmt.Errorf("outbox: create %s: %w", cfg.Dir, err))
	}
	if cfg.Owners == nil {
		cfg.Owners = fileOwners{cfg.Dir}
	}
	if cfg.Bodies == nil {
		cfg.Bodies = fileBodies{cfg.Dir}
	}
	token := fmt.Sprintf("p%d-%s", os.Getpid(), randHex(6))
	release, err := cfg.Owners.Hold(token)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Outbox{
		cfg: cfg, log: cfg.Log.With("component", "outbox"), token: token, release: release,
		ctx: ctx, cancel: cancel, running: map[string]chan struct{}{},
		wake: make(chan struct{}, 1), stopWorker: make(chan struct{}), workerDone: make(chan struct{}),
	}, nil
}

// Request is a message to send.
type Request struct {
	Account        string
	IdempotencyKey string // "" for none
	MessageID      string
	Subject        string
	From           string
	Recipients     []string
	SMTPUTF8       bool
	Raw            []byte
	FollowUps      []FollowUp
	// Digest identifies the message's content apart from its Date and
	// Message-ID (policy.ContentDigest), so a reused idempotency key can be
	// told a different message.
	Digest string
}

// ErrNotFound is returned for an unknown item id.
var ErrNotFound = errors.New("outbox: no such item")

// Lookup returns the item recorded under an idempotency key, or nil.
func (o *Outbox) Lookup(ctx context.Context, account, key string) (*Item, error) {
	if key == "" {
		return nil, nil
	}
	var it *Item
	err := o.cfg.Store.View(ctx, func(tx store.Tx) error {
		id := tx.Bucket(bucketKeys).Get(indexKey(account, key))
		if id == nil {
			return nil
		}
		var err error
		it, err = getItem(tx, string(id))
		return err
	})
	return it, err
}

// Enqueue journals req as a queued item. When req's idempotency key already
// names an item, that item is returned with created false and nothing new
// is queued.
func (o *Outbox) Enqueue(ctx context.Context, req Request) (it *Item, created bool, err error) {
	if len(req.Recipients) == 0 || len(req.Raw) == 0 || req.Account == "" {
		return nil, false, errors.New("outbox: a request needs an account, recipients and a message")
	}
	// Bodies kept in the store are written in the item's own transaction
	// (one commit instead of two, and the key check there is enough);
	// files must be durable before it, so a known key is looked up first.
	inTx, _ := o.cfg.Bodies.(txBodies)
	if inTx == nil {
		if existing, err := o.Lookup(ctx, req.Account, req.IdempotencyKey); err != nil || existing != nil {
			return existing, false, err
		}
	}
	now := time.Now().UTC()
	id := newID(now)
	name := id + ".eml"
	if inTx == nil {
		if err := o.cfg.Bodies.Write(name, req.Raw); err != nil {
			return nil, false, err
		}
	}
	it = &Item{
		ID: id, Account: req.Account, IdempotencyKey: req.IdempotencyKey, MessageID: req.MessageID,
		Subject: req.Subject, From: req.From, SMTPUTF8: req.SMTPUTF8, RawFile: name, Size: int64(len(req.Raw)), Digest: req.Digest,
		State: StateQueued, FollowUps: req.FollowUps, Created: now, Updated: now, NextAttempt: now,
	}
	for _, r := range req.Recipients {
		it.Recipients = append(it.Recipients, Recipient{Address: r, Status: RcptPending})
	}
	var winner *Item
	err = o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		winner = nil
		if req.IdempotencyKey != "" {
			keys := tx.Bucket(bucketKeys)
			if prev := keys.Get(indexKey(req.Account, req.IdempotencyKey)); prev != nil {
				// Another call (maybe another process) won the race.
				var err error
				winner, err = getItem(tx, string(prev))
				return err
			}
			if err := keys.Put(indexKey(req.Account, req.IdempotencyKey), []byte(id)); err != nil {
				return err
			}
		}
		if inTx != nil {
			if err := inTx.WriteTx(tx, name, req.Raw); err != nil {
				return err
			}
		}
		return putItem(tx, it)
	})
	if err != nil || winner != nil {
		if inTx == nil {
			o.cfg.Bodies.Remove(name)
		}
		return winner, false, err
	}
	o.log.Info("queued", "id", id, "account", req.Account, "recipients", len(req.Recipients), "bytes", len(req.Raw))
	return it, true, nil
}

// Send enqueues req and, when it is new, makes the first attempt at once,
// waiting for its outcome until ctx ends (the attempt itself goes on and is
// owned by the outbox). It returns the item as it stands.
func (o *Outbox) Send(ctx context.Context, req Request) (it *Item, created bool, err error) {
	it, created, err = o.Enqueue(ctx, req)
	if err != nil || !created {
		return it, created, err
	}
	return o.attemptAndWait(ctx, it.ID), true, nil
}

// attemptAndWait runs one attempt on id in the background and waits for it.
func (o *Outbox) attemptAndWait(ctx context.Context, id string) *Item {
	if done := o.startAttempt(id); done != nil {
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	it, err := o.Get(context.WithoutCancel(ctx), id)
	if err != nil {
		o.log.Warn("reading item after attempt", "id", id, "err", err)
		return &Item{ID: id, State: StateQueued}
	}
	return it
}

// Get returns one item.
func (o *Outbox) Get(ctx context.Context, id string) (*Item, error) {
	var it *Item
	err := o.cfg.Store.View(ctx, func(tx store.Tx) (err error) {
		it, err = getItem(tx, id)
		return err
	})
	return it, err
}

// ListOptions filter List.
type ListOptions struct {
	Account string  // "" for all
	States  []State // nil for all
	Limit   int     // newest first; 0 for 50
}

// List returns items, newest first.
func (o *Outbox) List(ctx context.Context, opt ListOptions) ([]*Item, error) {
	if opt.Limit <= 0 {
		opt.Limit = 50
	}
	var out []*Item
	err := o.cfg.Store.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(bucketItems).Scan(store.ScanOptions{Reverse: true}, func(_ string, v []byte) error {
			it, err := decodeItem(v)
			if err != nil {
				return err
			}
			if opt.Account != "" && it.Account != opt.Account {
				return nil
			}
			if len(opt.States) > 0 && !slices.Contains(opt.States, it.State) {
				return nil
			}
			out = append(out, it)
			if len(out) >= opt.Limit {
				return store.ErrStop
			}
			return nil
		})
	})
	return out, err
}

// Cancel stops a queued item. An item already accepted for some recipients
// stays sent for them; the pending ones are marked refused ("cancelled").
func (o *Outbox) Cancel(ctx context.Context, id string) (*Item, error) {
	var it *Item
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) (err error) {
		it, err = getItem(tx, id)
		if err != nil {
			return err
		}
		if it.State != StateQueued {
			return &StateError{ID: id, State: it.State}
		}
		now := time.Now().UTC()
		accepted, _ := it.Counts()
		for i := range it.Recipients {
			if it.Recipients[i].Status == RcptPending {
				it.Recipients[i].Status, it.Recipients[i].Message = RcptRefused, "cancelled before it was sent to this recipient"
			}
		}
		it.Updated = now
		if accepted > 0 {
			// Sent to some: it still gets its Sent copy and follow-ups.
			o.settle(it, now)
		} else {
			it.State, it.NextAttempt = StateCancelled, time.Time{}
		}
		return putItem(tx, it)
	})
	if err == nil {
		o.log.Info("cancelled", "id", id)
		if it.postWork() {
			o.Wake()
		}
	}
	return it, err
}

// StateError says an operation does not apply to an item in its state.
type StateError struct {
	ID    string
	State State
}

func (e *StateError) Error() string {
	switch e.State {
	case StateSubmitting:
		return fmt.Sprintf("outbox item %s is being submitted right now and can no longer be cancelled", e.ID)
	case StateInDoubt:
		return fmt.Sprintf("outbox item %s is in doubt: the server may already have accepted it, so it cannot be cancelled", e.ID)
	}
	return fmt.Sprintf("outbox item %s is already %s", e.ID, e.State)
}

// Start launches the worker goroutine (once; not after Close).
func (o *Outbox) Start() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing || o.started {
		return
	}
	o.started = true
	go o.worker()
}

// Close stops the worker, waits for running attempts until ctx ends, then
// cancels them, and releases the owner lock. Attempts cancelled before the
// final dot are retried by the next process; after it they become in_doubt.
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	if o.closing {
		o.mu.Unlock()
		return nil
	}
	o.closing = true
	started := o.started
	o.mu.Unlock()
	close(o.stopWorker)
	done := make(chan struct{})
	go func() { o.attempts.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		o.cancel()
		<-done
		err = fmt.Errorf("outbox: attempts still running at shutdown were cancelled: %w", ctx.Err())
	}
	o.cancel()
	if started {
		<-o.workerDone
	}
	o.release()
	return err
}

func indexKey(account, key string) string { return account + "\x00" + key }

func getItem(tx store.Tx, id string) (*Item, error) {
	v := tx.Bucket(bucketItems).Get(id)
	if v == nil {
		return nil, &fault.Error{Kind: fault.NotFound, Op: "outbox", Err: fmt.Errorf("%w: %s", ErrNotFound, id),
			Hint: "Call outbox_status to see the ids"}
	}
	return decodeItem(v)
}

func decodeItem(v []byte) (*Item, error) {
	var it Item
	if err := json.Unmarshal(v, &it); err != nil {
		return nil, &fault.Error{Kind: fault.Local, Op: "outbox", Err: fmt.Errorf("outbox: decode item: %w", err),
			Hint: "An outbox record in the state store is damaged; tell the user (mailmcp doctor checks the store)"}
	}
	return &it, nil
}

func putItem(tx store.Tx, it *Item) error {
	v, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketItems).Put(it.ID, v)
}

// newID makes a time-ordered id usable as a DSN ENVID (RFC 3461 §4.4: xtext).
func newID(t time.Time) string { return newIDPrefix(t) + randHex(5) }

// newIDPrefix is the time part of the ids created at t, the smallest of them.
func newIDPrefix(t time.Time) string { return fmt.Sprintf("ob%011x", t.UnixMilli()) }

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
