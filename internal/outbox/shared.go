package outbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

// Owners tells which outboxes are alive, so that an attempt whose owner
// died is settled by another: requeued before its commit point, in_doubt
// after it. One process on one machine uses flocked files (the kernel drops
// them the instant a process dies); replicas on several machines share
// heartbeats in the store.
type Owners interface {
	// Hold registers token as alive until release is called.
	Hold(token string) (release func(), err error)
	// Alive reports whether token's outbox still runs. tx is the
	// transaction the caller decides in, so a shared registry reads the
	// heartbeat in the same snapshot as the item.
	Alive(tx store.Tx, token string) bool
}

// Bodies hold the journaled message bytes, written durably before the
// item that names them is committed.
type Bodies interface {
	Write(name string, raw []byte) error
	Read(name string) ([]byte, error)
	Remove(name string)
}

// fileBodies are message files in dir.
type fileBodies struct{ dir string }

func (f fileBodies) Write(name string, raw []byte) error { return writeRaw(f.dir, name, raw) }

func (f fileBodies) Read(name string) ([]byte, error) { return readRaw(f.dir, name) }

func (f fileBodies) Remove(name string) { os.Remove(filepath.Join(f.dir, name)) }

const (
	bucketOwners = "outbox.owners" // token → heartbeat
	bucketBodies = "outbox.bodies" // message name → bytes
)

// Heartbeat timing of StoreOwners: a replica writes its heartbeat every
// OwnerBeat, and is taken for dead OwnerTTL after the last one, so the
// attempts of a killed replica are taken over within about 15 s.
const (
	OwnerBeat = 5 * time.Second
	OwnerTTL  = 15 * time.Second
)

// StoreOwners returns an owner registry of heartbeats in st, for replicas
// that share a database. Hold starts a heartbeat goroutine that release
// stops (and deletes the heartbeat, so a drained replica's work is taken
// over at once rather than after OwnerTTL).
func StoreOwners(st store.Store) Owners { return storeOwners{st: st, beat: OwnerBeat, ttl: OwnerTTL} }

type storeOwners struct {
	st        store.Store
	beat, ttl time.Duration
}

type heartbeat struct {
	Expires time.Time `json:"expires"`
	Host    string    `json:"host,omitempty"`
}

func (s storeOwners) put(token string) error {
	host, _ := os.Hostname()
	b, _ := json.Marshal(heartbeat{Expires: time.Now().Add(s.ttl).UTC(), Host: host})
	ctx, cancel := storeCtx()
	defer cancel()
	return s.st.Update(ctx, func(tx store.Tx) error { return tx.Bucket(bucketOwners).Put(token, b) })
}

func (s storeOwners) Hold(token string) (func(), error) {
	if err := s.put(token); err != nil {
		return nil, fmt.Errorf("outbox: register owner: %w", err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.beat)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				// A missed beat is retried at the next tick; if beats
				// fail for OwnerTTL others take over, and this outbox's
				// own commit and record steps then find the item no
				// longer theirs, so nothing is sent twice.
				_ = s.put(token)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := storeCtx()
			defer cancel()
			_ = s.st.Update(ctx, func(tx store.Tx) error { return tx.Bucket(bucketOwners).Delete(token) })
		})
	}, nil
}

func (s storeOwners) Alive(tx store.Tx, token string) bool {
	if token == "" {
		return false
	}
	v := tx.Bucket(bucketOwners).Get(token)
	if v == nil {
		return false
	}
	var hb heartbeat
	if json.Unmarshal(v, &hb) != nil {
		return false
	}
	return time.Now().Before(hb.Expires)
}

// StoreBodies keeps message bytes in st, where every replica can read them.
func StoreBodies(st store.Store) Bodies { return storeBodies{st} }

type storeBodies struct{ st store.Store }

// txBodies are Bodies that can be written inside the store transaction
// that journals the item.
type txBodies interface {
	WriteTx(tx store.Tx, name string, raw []byte) error
}

func (s storeBodies) WriteTx(tx store.Tx, name string, raw []byte) error {
	return tx.Bucket(bucketBodies).Put(name, raw)
}

func (s storeBodies) Write(name string, raw []byte) error {
	ctx, cancel := storeCtx()
	defer cancel()
	if err := s.st.Update(ctx, func(tx store.Tx) error { return tx.Bucket(bucketBodies).Put(name, raw) }); err != nil {
		return fmt.Errorf("outbox: write message: %w", err)
	}
	return nil
}

func (s storeBodies) Read(name string) ([]byte, error) {
	ctx, cancel := storeCtx()
	defer cancel()
	var raw []byte
	err := s.st.View(ctx, func(tx store.Tx) error {
		raw = tx.Bucket(bucketBodies).Get(name)
		return nil
	})
	if err == nil && raw == nil {
		err = os.ErrNotExist
	}
	if err != nil {
		return nil, bodyError(name, "the state store", fmt.Errorf("outbox: read message %s: %w", name, err))
	}
	return raw, nil
}

func (s storeBodies) Remove(name string) {
	ctx, cancel := storeCtx()
	defer cancel()
	_ = s.st.Update(ctx, func(tx store.Tx) error { return tx.Bucket(bucketBodies).Delete(name) })
}
