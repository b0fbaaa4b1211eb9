package imapconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Pool holds at most MaxConns authenticated connections for one account.
// A caller borrows one connection at a time through Do; idle connections are
// reused (preferring one that already has the wanted folder selected),
// checked with NOOP after a quiet spell, recycled after MaxLifetime and
// closed after IdleTimeout by the janitor goroutine the pool owns.
type Pool struct {
	acct  *Account
	log   *slog.Logger
	slots chan struct{} // one token per connection in use

	mu     sync.Mutex
	idle   []*Conn
	open   int
	closed bool
	stats  Stats

	stop chan struct{}
	done chan struct{}

	// dialFn opens a connection; tests replace it to count logins.
	dialFn func(context.Context, *Account) (*Conn, error)
}

// Stats are counters for health reports and tests.
type Stats struct {
	Dials, Reuses, Retries, Discards int
	// Waits counts acquisitions that found every connection busy and had
	// to wait; WaitTime is their total waiting time.
	Waits       int
	WaitTime    time.Duration
	Open, Idle  int
	LastError   string
	LastErrorAt time.Time
}

// NewPool creates the pool; no connection is opened until first use.
func NewPool(a *Account, log *slog.Logger) *Pool {
	a.withDefaults()
	p := &Pool{
		acct:   a,
		log:    log.With("component", "imap-pool", "account", a.ID),
		slots:  make(chan struct{}, a.MaxConns),
		stop:   make(chan struct{}),
		done:   make(chan struct{}),
		dialFn: dial,
	}
	go p.janitor()
	return p
}

// Account returns the account the pool serves.
func (p *Pool) Account() *Account { return p.acct }

// Op describes one unit of work for Do.
type Op struct {
	Name string
	// Folder to have selected before fn runs ("" for none).
	Folder string
	// Idempotent operations are retried once on a fresh connection when the
	// connection drops; others never are (the outcome would be unknown).
	Idempotent bool
}

// Do borrows a connection, selects op.Folder, and runs fn under ctx's
// deadline (or the account's command timeout when ctx has none).
func (p *Pool) Do(ctx context.Context, op Op, fn func(ctx context.Context, c *Conn) error) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.acct.CommandTimeout)
		defer cancel()
	}
	err := p.once(ctx, op, fn)
	if err != nil && op.Idempotent && fault.KindOf(err) == fault.ConnLost && ctx.Err() == nil {
		p.count(func(s *Stats) { s.Retries++ })
		p.log.Info("connection dropped; retrying on a fresh one", "op", op.Name)
		err = p.once(ctx, op, fn)
	}
	if err != nil && fault.IsRetryable(err) {
		p.count(func(s *Stats) { s.LastError, s.LastErrorAt = err.Error(), time.Now() })
	}
	return err
}

func (p *Pool) once(ctx context.Context, op Op, fn func(context.Context, *Conn) error) error {
	c, err := p.acquire(ctx, op.Folder)
	if err != nil {
		return err
	}
	err = c.run(ctx, op.Name, func() error {
		if op.Folder != "" {
			if err := c.Select(ctx, op.Folder); err != nil {
				return err
			}
		}
		return fn(ctx, c)
	})
	p.release(c)
	return err
}

// acquire returns a healthy connection, dialling when none is idle.
func (p *Pool) acquire(ctx context.Context, folder string) (*Conn, error) {
	select {
	case p.slots <- struct{}{}:
	default:
		t0 := time.Now()
		select {
		case p.slots <- struct{}{}:
			p.count(func(s *Stats) { s.Waits++; s.WaitTime += time.Since(t0) })
		case <-ctx.Done():
			p.count(func(s *Stats) { s.Waits++; s.WaitTime += time.Since(t0) })
			return nil, (*Conn)(nil).fail(ctx, "wait for a free IMAP connection", ctx.Err())
		}
	}
	for {
		c := p.takeIdle(folder)
		if c == nil {
			break
		}
		if p.healthy(ctx, c) {
			p.count(func(s *Stats) { s.Reuses++ })
			return c, nil
		}
		p.discard(c)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, &fault.Error{Kind: fault.Unavailable, Op: "acquire", Err: errors.New("mail engine is shutting down")}
	}
	p.open++
	p.mu.Unlock()
	c, err := p.dialFn(ctx, p.acct)
	if err != nil {
		p.mu.Lock()
		p.open--
		p.mu.Unlock()
		<-p.slots
		p.count(func(s *Stats) { s.LastError, s.LastErrorAt = err.Error(), time.Now() })
		return nil, err
	}
	p.count(func(s *Stats) { s.Dials++ })
	p.log.Debug("connected", "server", p.acct.IMAP.Address())
	return c, nil
}

// takeIdle pops the best idle connection: one with folder selected, else
// the most recently used.
func (p *Pool) takeIdle(folder string) *Conn {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.idle) == 0 {
		return nil
	}
	best := len(p.idle) - 1
	for i := len(p.idle) - 1; i >= 0; i-- {
		if folder != "" && p.idle[i].selected == folder {
			best = i
			break
		}
	}
	c := p.idle[best]
	p.idle = append(p.idle[:best], p.idle[best+1:]...)
	return c
}

// healthy checks a connection taken from the idle list.
func (p *Pool) healthy(ctx context.Context, c *Conn) bool {
	if c.isClosed() || time.Since(c.created) > p.acct.MaxLifetime {
		return false
	}
	if time.Since(c.lastUsed) < p.acct.HealthAfter {
		return true
	}
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return c.run(hctx, "noop", func() error { return c.c.Noop().Wait() }) == nil
}

// release returns c to the idle list, or closes it when it is broken.
func (p *Pool) release(c *Conn) {
	defer func() { <-p.slots }()
	c.lastUsed = time.Now()
	p.mu.Lock()
	if c.isClosed() || p.closed || time.Since(c.created) > p.acct.MaxLifetime {
		p.mu.Unlock()
		p.discard(c)
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// discard closes a connection that is not in the idle list.
func (p *Pool) discard(c *Conn) {
	c.c.Close()
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
	p.count(func(s *Stats) { s.Discards++ })
}

func (p *Pool) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Open, s.Idle = p.open, len(p.idle)
	return s
}

// janitor closes connections idle for longer than IdleTimeout.
func (p *Pool) janitor() {
	defer close(p.done)
	t := time.NewTicker(p.acct.IdleTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			var keep, drop []*Conn
			for _, c := range p.idle {
				if time.Since(c.lastUsed) > p.acct.IdleTimeout || c.isClosed() {
					drop = append(drop, c)
				} else {
					keep = append(keep, c)
				}
			}
			p.idle = keep
			p.mu.Unlock()
			for _, c := range drop {
				p.logout(c)
			}
		}
	}
}

// logout ends a session politely within a short deadline.
func (p *Pool) logout(c *Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = c.run(ctx, "logout", func() error { return c.c.Logout().Wait() })
	c.c.Close()
	p.mu.Lock()
	p.open--
	p.mu.Unlock()
}

// Close stops the janitor, waits (bounded by ctx) for borrowed connections
// to come back, and logs every connection out.
func (p *Pool) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	// Take every slot: when we hold them all, no connection is borrowed.
	var err error
	for i := 0; i < cap(p.slots); i++ {
		select {
		case p.slots <- struct{}{}:
		case <-ctx.Done():
			err = fmt.Errorf("close pool %s: %d connection(s) still busy: %w", p.acct.ID, cap(p.slots)-i, ctx.Err())
			i = cap(p.slots)
		}
	}
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range idle {
		wg.Add(1)
		go func() { defer wg.Done(); p.logout(c) }()
	}
	wg.Wait()
	return err
}

// Capabilities connects if needed and returns the server's capabilities,
// sorted.
func (p *Pool) Capabilities(ctx context.Context) ([]string, error) {
	var caps []string
	err := p.Do(ctx, Op{Name: "capabilities", Idempotent: true}, func(ctx context.Context, c *Conn) error {
		caps = caps[:0]
		for cp := range c.Caps() {
			caps = append(caps, string(cp))
		}
		return nil
	})
	slices.Sort(caps)
	return caps, err
}
