package outbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// Replicas share one PostgreSQL database and nothing else: each has its
// own directory (its own machine), so owner liveness and message bytes
// must come from the database.

const (
	replicaURLEnv = "MAILMCP_OUTBOX_REPLICA_URL"
	// Short heartbeats so takeover tests take a second, not OwnerTTL.
	testBeat = 100 * time.Millisecond
	testTTL  = 600 * time.Millisecond
)

// replica tunes a rig into a replica on the database at url.
func replica(t *testing.T, url string) func(*Config) {
	return func(c *Config) {
		st, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		c.Store = st
		c.Owners = storeOwners{st: st, beat: testBeat, ttl: testTTL}
		c.Bodies = StoreBodies(st)
	}
}

// TestReplicasSendOnce sends 50 messages whose idempotency keys are each
// used on two of three replicas at once: every message goes out once.
func TestReplicasSendOnce(t *testing.T) {
	url := testrig.RequirePostgres(t)
	s := startSMTP(t)
	var rigs []*rig
	for range 3 {
		r := newRig(t, t.TempDir(), s.Addr, true, replica(t, url))
		r.Box.Start()
		rigs = append(rigs, r)
	}
	const n = 50
	var wg sync.WaitGroup
	ids := make([][2]string, n)
	for i := range n {
		for j := range 2 {
			wg.Go(func() {
				req := request(fmt.Sprintf("k%02d", i), fmt.Sprintf("r%02d@x.test", i))
				it, _, err := rigs[(i+j)%3].Box.Send(context.Background(), req)
				if err != nil {
					t.Error(err)
					return
				}
				ids[i][j] = it.ID
			})
		}
	}
	wg.Wait()
	for i := range n {
		if ids[i][0] != ids[i][1] {
			t.Errorf("key %d made two items: %v", i, ids[i])
		}
		rigs[i%3].waitState(ids[i][0], StateSent)
	}
	time.Sleep(300 * time.Millisecond) // a few sweeps of every replica
	per := map[string]int{}
	for _, d := range s.deliveries() {
		per[d.To[0]]++
	}
	for i := range n {
		if c := per[fmt.Sprintf("r%02d@x.test", i)]; c != 1 {
			t.Errorf("message %d delivered %d times", i, c)
		}
	}
}

// TestReplicaKilledAfterDot: a replica is killed -9 while the server holds
// its reply to the final dot; another replica (another directory) takes
// the item over within the heartbeat TTL and marks it in_doubt, never
// resending it.
func TestReplicaKilledAfterDot(t *testing.T) {
	if os.Getenv(crashChildEnv) == "1" {
		replicaChild(t)
		return
	}
	url := testrig.RequirePostgres(t)
	s := startSMTP(t)
	held, release := make(chan struct{}), make(chan struct{})
	s.set(func() { s.held, s.release = held, release })
	cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaKilledAfterDot$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"=1", crashDirEnv+"="+t.TempDir(), crashSMTPEnv+"="+s.Addr, replicaURLEnv+"="+url)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child never reached the end of DATA")
	}
	cmd.Process.Kill()
	cmd.Wait()
	close(release)
	s.set(func() { s.held, s.release = nil, nil })

	r := newRig(t, t.TempDir(), s.Addr, true, replica(t, url))
	r.Box.Start()
	items, err := r.Box.List(context.Background(), ListOptions{})
	if err != nil || len(items) != 1 {
		t.Fatalf("items %v %v", items, err)
	}
	it := r.waitState(items[0].ID, StateInDoubt)
	t.Logf("taken over: %s: %s", it.State, it.LastError)
	time.Sleep(3 * testTTL)
	if d := s.deliveries(); len(d) != 1 {
		t.Fatalf("%d deliveries, want exactly 1", len(d))
	}
}

func replicaChild(t *testing.T) {
	r := newRig(t, os.Getenv(crashDirEnv), os.Getenv(crashSMTPEnv), true, replica(t, os.Getenv(replicaURLEnv)))
	r.Box.Send(context.Background(), request("crash", "x@x.test"))
	time.Sleep(time.Minute)
}

// TestReplicaDiedBeforeCommit: an item claimed by a replica that died
// before the commit point is sent by another replica, once, from the
// message bytes in the database.
func TestReplicaDiedBeforeCommit(t *testing.T) {
	url := testrig.RequirePostgres(t)
	s := startSMTP(t)
	a := newRig(t, t.TempDir(), s.Addr, true, replica(t, url))
	ctx := context.Background()
	it, _, err := a.Box.Enqueue(ctx, request("pre", "x@x.test"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Box.claim(it.ID) == nil {
		t.Fatal("claim")
	}
	// Replica a stops with the claim still held, as a replica that died
	// between claim and commit would leave it; Close ends its heartbeat.
	ctxc, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	a.Box.Close(ctxc)
	b := newRig(t, t.TempDir(), s.Addr, true, replica(t, url))
	b.Box.Start()
	got := b.waitState(it.ID, StateSent)
	if len(s.deliveries()) != 1 || got.Attempts != 2 {
		t.Errorf("deliveries %d attempts %d", len(s.deliveries()), got.Attempts)
	}
}

// TestStoreOwners: a heartbeat is alive until its TTL passes after the
// last beat, and gone at once after release.
func TestStoreOwners(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"file", func(t *testing.T) store.Store {
			f, err := store.Open(t.TempDir(), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}},
		{"postgres", func(t *testing.T) store.Store {
			p, err := store.OpenPostgres(context.Background(), testrig.RequirePostgres(t), store.PostgresOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { p.Close() })
			return p
		}},
	} {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			o := storeOwners{st: st, beat: testBeat, ttl: testTTL}
			alive := func(tok string) (ok bool) {
				st.View(context.Background(), func(tx store.Tx) error { ok = o.Alive(tx, tok); return nil })
				return ok
			}
			release, err := o.Hold("p1-a")
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * testTTL) // beats keep it alive past one TTL
			if !alive("p1-a") || alive("p2-never") || alive("") {
				t.Fatal("liveness wrong while beating")
			}
			release()
			if alive("p1-a") {
				t.Fatal("alive after release")
			}
		})
	}
}
