// Package lease shares named pieces of work (a watched folder, say) among
// the processes or replicas that use one state store, so each is done by
// exactly one of them at a time and moves to another when its holder dies
// or drains.
//
// A lease is a record in the store naming its holder. Every member writes
// a heartbeat of its own every Beat, and a lease is valid while its
// holder's heartbeat is: a lease whose holder stopped beating is free TTL
// after the last beat, and any member may take it. One row per member
// renews all its leases, so holding a thousand folders costs what holding
// one does. The heartbeats also let the members share the work evenly: a
// member takes at most its fair share, ceil(work / live members), and
// gives back what it holds beyond that, which is how a replica that joins
// gets work from the ones already running.
//
// Each decision is one store transaction, so two members never both
// believe they hold a lease: on PostgreSQL the transactions are
// serializable, in the bbolt file they are serialised by the file lock.
// A holder that cannot renew (its database link is down) loses its leases
// locally when half the TTL has passed since its last successful renewal,
// before any other member can take them over, so the work is never done
// twice unless the machines' clocks differ by more than that.
package lease

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

const (
	bucketLeases  = "lease.leases"  // name → record
	bucketMembers = "lease.members" // holder → record
)

// Defaults: a dead holder's work moves within about TTL + Beat (13 s).
const (
	DefaultBeat = 3 * time.Second
	DefaultTTL  = 10 * time.Second
)

type record struct {
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires,omitzero"` // members only
}

// Options for New.
type Options struct {
	Holder    string // this member's unique name (required)
	Beat, TTL time.Duration
	Log       *slog.Logger
	// OnGain is called (from Run's goroutine) when a lease is taken,
	// OnLose when it is given back, lost or drained. A callback must not
	// block for long: start or stop the work and return.
	OnGain, OnLose func(name string)
}

// Manager holds this member's leases.
type Manager struct {
	st  store.Store
	opt Options

	mu     sync.Mutex
	want   []string
	held   map[string]bool
	others map[string]bool // held by another live member at the last round
	lastOK time.Time
	wake   chan struct{}
}

// New returns a manager; Run does the work.
func New(st store.Store, opt Options) (*Manager, error) {
	if opt.Holder == "" {
		return nil, fmt.Errorf("lease: a holder name is required")
	}
	if opt.Beat <= 0 {
		opt.Beat = DefaultBeat
	}
	if opt.TTL < 3*opt.Beat {
		opt.TTL = max(DefaultTTL, 3*opt.Beat)
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.OnGain == nil {
		opt.OnGain = func(string) {}
	}
	if opt.OnLose == nil {
		opt.OnLose = func(string) {}
	}
	return &Manager{st: st, opt: opt, held: map[string]bool{}, wake: make(chan struct{}, 1)}, nil
}

// Want sets the names of the work to share (every member should want the
// same set); the next round acts on it.
func (m *Manager) Want(names []string) {
	m.mu.Lock()
	m.want = slices.Sorted(slices.Values(names))
	m.want = slices.Compact(m.want)
	m.mu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// HeldElsewhere reports whether another live member held name at the
// last round (false before the first one, or when it failed).
func (m *Manager) HeldElsewhere(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.others[name]
}

// Held returns the names this member holds now.
func (m *Manager) Held() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for n := range m.held {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Run renews, takes and gives back leases every Beat until ctx ends, then
// drains: every lease held is released (OnLose is called for it) and the
// member's heartbeat is deleted, so the others take the work at once.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.opt.Beat)
	defer t.Stop()
	for {
		m.round(ctx)
		select {
		case <-ctx.Done():
			m.drain()
			return
		case <-t.C:
		case <-m.wake:
		}
	}
}

// round is one renewal and rebalancing pass.
func (m *Manager) round(ctx context.Context) {
	m.mu.Lock()
	want := slices.Clone(m.want)
	m.mu.Unlock()
	now := time.Now().UTC()
	var gained, kept []string
	var others map[string]bool
	// A quarter of the TTL: long enough for a loaded database, short
	// enough that a member whose rounds fail gives up (at TTL/2 since the
	// last success, checked after each round) before its leases expire.
	tctx, cancel := context.WithTimeout(ctx, m.opt.TTL/4)
	defer cancel()
	err := m.st.Update(tctx, func(tx store.Tx) error {
		gained, kept = gained[:0], kept[:0]
		leases, members := tx.Bucket(bucketLeases), tx.Bucket(bucketMembers)
		// The member heartbeat is the only write of a quiet round: a
		// lease is valid while its holder's heartbeat is, so a member
		// holding a thousand folders renews them all with one row.
		if err := put(members, m.opt.Holder, record{Holder: m.opt.Holder, Expires: now.Add(m.opt.TTL)}); err != nil {
			return err
		}
		live := map[string]bool{}
		var dead []string
		if err := members.Scan(store.ScanOptions{}, func(k string, v []byte) error {
			if r, ok := decode(v); ok && r.Expires.After(now) {
				live[k] = true
			} else {
				dead = append(dead, k)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range dead {
			if err := members.Delete(k); err != nil {
				return err
			}
		}
		others = map[string]bool{}
		holders := map[string]string{}
		if err := leases.Scan(store.ScanOptions{}, func(k string, v []byte) error {
			if r, ok := decode(v); ok {
				holders[k] = r.Holder
			}
			return nil
		}); err != nil {
			return err
		}
		share := (len(want) + len(live) - 1) / max(len(live), 1)
		var free []string
		for _, name := range want {
			switch h := holders[name]; {
			case h == m.opt.Holder:
				if len(kept) >= share { // more than a fair share: give back
					if err := leases.Delete(name); err != nil {
						return err
					}
					continue
				}
				kept = append(kept, name)
			case live[h]:
				others[name] = true // another live member's
			default:
				free = append(free, name)
			}
		}
		for _, name := range free {
			if len(kept)+len(gained) >= share {
				break
			}
			// No expiry: a lease lasts while its holder's heartbeat does.
			if err := put(leases, name, record{Holder: m.opt.Holder}); err != nil {
				return err
			}
			gained = append(gained, name)
		}
		return nil
	})
	m.mu.Lock()
	var gain, lose []string
	if err != nil {
		// Without a renewal, leases are given up locally once half the
		// TTL has passed since the last one: rounds start every Beat
		// (at most TTL/3) and take at most TTL/4, so this happens by
		// 5/6 of the TTL, before the lease expires and another member
		// can take it.
		m.opt.Log.Warn("lease renewal failed", "err", err)
		if time.Since(m.lastOK) >= m.opt.TTL/2 {
			for n := range m.held {
				lose = append(lose, n)
				delete(m.held, n)
			}
		}
	} else {
		m.lastOK = now
		m.others = others
		ours := map[string]bool{}
		for _, n := range kept {
			ours[n] = true
		}
		// Held but not renewed: given back, no longer wanted, or taken by
		// another member after this one failed to renew in time.
		for n := range m.held {
			if !ours[n] {
				delete(m.held, n)
				lose = append(lose, n)
			}
		}
		for _, n := range append(kept, gained...) {
			if !m.held[n] {
				m.held[n] = true
				gain = append(gain, n)
			}
		}
	}
	m.mu.Unlock()
	slices.Sort(lose)
	slices.Sort(gain)
	for _, n := range lose {
		m.opt.Log.Info("lease given up", "name", n)
		m.opt.OnLose(n)
	}
	for _, n := range gain {
		m.opt.Log.Info("lease taken", "name", n)
		m.opt.OnGain(n)
	}
}

// drain releases every lease and the member heartbeat.
func (m *Manager) drain() {
	m.mu.Lock()
	var names []string
	for n := range m.held {
		names = append(names, n)
	}
	m.held = map[string]bool{}
	m.mu.Unlock()
	slices.Sort(names)
	for _, n := range names {
		m.opt.OnLose(n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), m.opt.TTL)
	defer cancel()
	err := m.st.Update(ctx, func(tx store.Tx) error {
		leases := tx.Bucket(bucketLeases)
		for _, n := range names {
			if r, ok := decode(leases.Get(n)); ok && r.Holder == m.opt.Holder {
				if err := leases.Delete(n); err != nil {
					return err
				}
			}
		}
		return tx.Bucket(bucketMembers).Delete(m.opt.Holder)
	})
	if err != nil {
		m.opt.Log.Warn("lease drain failed; the others take over after the TTL", "err", err)
	}
}

func put(b store.Bucket, key string, r record) error {
	v, _ := json.Marshal(r)
	return b.Put(key, v)
}

func decode(v []byte) (record, bool) {
	if v == nil {
		return record{}, false
	}
	var r record
	if json.Unmarshal(v, &r) != nil {
		return record{}, false
	}
	return r, true
}
