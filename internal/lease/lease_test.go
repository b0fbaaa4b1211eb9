package lease

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

func TestMain(m *testing.M) { testrig.Main(m) }

const (
	beat = 40 * time.Millisecond
	ttl  = 240 * time.Millisecond
)

func backends(t *testing.T, fn func(t *testing.T, open func() store.Store)) {
	t.Run("file", func(t *testing.T) {
		dir := t.TempDir()
		fn(t, func() store.Store {
			f, err := store.Open(dir, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := testrig.RequirePostgres(t)
		fn(t, func() store.Store {
			p, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{MaxConns: 3})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p
		})
	})
}

// member is one manager plus the record of what its callbacks were told.
type member struct {
	m    *Manager
	mu   sync.Mutex
	have map[string]bool
	errs []string
}

func newMember(t *testing.T, st store.Store, name string, work []string) *member {
	return newMemberTTL(t, st, name, work, ttl)
}

func newMemberTTL(t *testing.T, st store.Store, name string, work []string, ttl time.Duration) *member {
	mb := &member{have: map[string]bool{}}
	m, err := New(st, Options{Holder: name, Beat: beat, TTL: ttl,
		OnGain: func(n string) {
			mb.mu.Lock()
			defer mb.mu.Unlock()
			if mb.have[n] {
				mb.errs = append(mb.errs, "gained twice: "+n)
			}
			mb.have[n] = true
		},
		OnLose: func(n string) {
			mb.mu.Lock()
			defer mb.mu.Unlock()
			if !mb.have[n] {
				mb.errs = append(mb.errs, "lost without gain: "+n)
			}
			delete(mb.have, n)
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.Want(work)
	mb.m = m
	return mb
}

func (mb *member) holds() []string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	var out []string
	for n := range mb.have {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// settle runs rounds of the members (in turn, as beats would) until every
// name is held by exactly one of them and check agrees, or fails.
func settle(t *testing.T, members []*member, work []string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, mb := range members {
			mb.m.round(context.Background())
		}
		count := map[string]int{}
		for _, mb := range members {
			for _, n := range mb.holds() {
				count[n]++
			}
		}
		exact := len(count) == len(work)
		for _, c := range count {
			if c != 1 {
				exact = false
			}
		}
		if exact && (check == nil || check()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never settled: %v", count)
		}
		time.Sleep(beat)
	}
}

func names(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("acct\x00folder%d", i))
	}
	return out
}

// TestShare: three members share six pieces of work two each; one dies
// (stops renewing) and the other two take its work after the TTL; a new
// member joins and gets a fair share given back to it.
func TestShare(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		work := names(6)
		a, b, c := newMember(t, open(), "a", work), newMember(t, open(), "b", work), newMember(t, open(), "c", work)
		all := []*member{a, b, c}
		settle(t, all, work, func() bool { return len(a.holds()) == 2 && len(b.holds()) == 2 && len(c.holds()) == 2 })

		// c dies: no more rounds, no drain. Its leases stay taken until
		// they expire, then a and b split the work 3 and 3.
		died := time.Now()
		settle(t, []*member{a, b}, work, func() bool { return len(a.holds()) == 3 && len(b.holds()) == 3 })
		if d := time.Since(died); d < ttl-beat {
			t.Errorf("work moved %v after the death, before the TTL %v", d, ttl)
		}

		d := newMember(t, open(), "d", work)
		settle(t, []*member{a, b, d}, work, func() bool { return len(d.holds()) == 2 })
		for _, mb := range []*member{a, b, c, d} {
			if len(mb.errs) > 0 {
				t.Errorf("callbacks: %v", mb.errs)
			}
		}
	})
}

// TestDrain: a member that stops with Run's context hands its work over
// at once (no TTL wait), and is told it lost each lease.
func TestDrain(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		work := names(4)
		// A long TTL: b can take a's work right after the drain only
		// because the drain deleted the leases, not because they expired.
		const long = time.Minute
		a, b := newMemberTTL(t, open(), "a", work, long), newMemberTTL(t, open(), "b", work, long)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { a.m.Run(ctx); close(done) }()
		deadline := time.Now().Add(5 * time.Second)
		for len(a.holds()) < len(work) && time.Now().Before(deadline) {
			time.Sleep(beat)
		}
		if len(a.holds()) < len(work) {
			t.Fatalf("a took only %v", a.holds())
		}
		cancel()
		<-done
		if h := a.holds(); len(h) != 0 {
			t.Fatalf("a still holds %v after drain", h)
		}
		b.m.round(context.Background())
		if h := b.holds(); len(h) != len(work) {
			t.Fatalf("after a drained, b holds %v", h)
		}
	})
}

// TestCannotRenew: a member whose store fails gives its leases up locally
// before they expire, so no other member holds one while it still does.
func TestCannotRenew(t *testing.T) {
	backends(t, func(t *testing.T, open func() store.Store) {
		// Each member beats on its own, as Run does; a TTL of 30 beats
		// leaves a's give-up (at TTL/2) far ahead of b's takeover (at TTL)
		// even on a loaded machine.
		const long = 30 * beat
		work := names(2)
		sa := open()
		a, b := newMemberTTL(t, sa, "a", work, long), newMemberTTL(t, open(), "b", work, long)
		a.m.round(context.Background())
		if len(a.holds()) != 2 {
			t.Fatalf("a holds %v", a.holds())
		}
		lastOK := time.Now()
		sa.Close() // a's database link is gone
		var gaveUp atomic.Int64
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				a.m.round(context.Background())
				if len(a.holds()) == 0 && gaveUp.Load() == 0 {
					gaveUp.Store(time.Now().UnixNano())
				}
				select {
				case <-stop:
					return
				case <-time.After(beat):
				}
			}
		}()
		for time.Since(lastOK) < 3*long {
			b.m.round(context.Background())
			if len(b.holds()) > 0 && len(a.holds()) > 0 {
				close(stop)
				<-done
				t.Fatalf("a and b both hold work: %v %v", a.holds(), b.holds())
			}
			time.Sleep(beat)
		}
		close(stop)
		<-done
		if gaveUp.Load() == 0 || len(b.holds()) != 2 {
			t.Fatalf("a gave up at %v, b holds %v", gaveUp.Load(), b.holds())
		}
	})
}
