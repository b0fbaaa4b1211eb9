package store

import (
	"encoding/json"
	"fmt"
	"time"
)

// Queue is a durable FIFO queue kept in one bucket ("queue.<name>"), for
// work that must survive restarts and be done at least once (webhook
// deliveries, …). Items are claimed with a lease: a claimed item becomes due
// again when the lease ends unless it was acknowledged (Ack) or rescheduled
// (Retry), so a process that dies mid-work leaves the item for another.
//
// All methods work inside a caller's transaction, so enqueueing can be
// atomic with other state changes. Claim scans from the oldest item, which
// suits the small queues of one mailbox owner.
type Queue struct{ ns string }

// NewQueue names a queue.
func NewQueue(name string) Queue { return Queue{ns: "queue." + name} }

// QueueItem is one queued payload.
type QueueItem struct {
	Key       string    `json:"-"`
	Payload   []byte    `json:"payload"`
	Attempts  int       `json:"attempts"`
	NotBefore time.Time `json:"not_before"`
	Enqueued  time.Time `json:"enqueued"`
}

// Push appends payload, due from notBefore (zero: now). The key orders
// items by insertion.
func (q Queue) Push(tx Tx, payload []byte, notBefore time.Time) (string, error) {
	b := tx.Bucket(q.ns)
	seq, err := b.NextSeq()
	if err != nil {
		return "", fmt.Errorf("queue %s: %w", q.ns, err)
	}
	key := fmt.Sprintf("%020d", seq)
	now := time.Now().UTC()
	if notBefore.IsZero() {
		notBefore = now
	}
	return key, q.put(b, QueueItem{Key: key, Payload: payload, NotBefore: notBefore.UTC(), Enqueued: now})
}

// Claim returns the oldest item due at now and leases it until now+lease
// (counting an attempt), or nil when nothing is due.
func (q Queue) Claim(tx Tx, now time.Time, lease time.Duration) (*QueueItem, error) {
	var found *QueueItem
	err := q.Scan(tx, func(it QueueItem) error {
		if it.NotBefore.After(now) {
			return nil
		}
		found = &it
		return ErrStop
	})
	if err != nil || found == nil {
		return nil, err
	}
	found.Attempts++
	found.NotBefore = now.Add(lease).UTC()
	return found, q.put(tx.Bucket(q.ns), *found)
}

// Retry makes a claimed item due again at notBefore.
func (q Queue) Retry(tx Tx, key string, notBefore time.Time) error {
	b := tx.Bucket(q.ns)
	it, err := q.get(b, key)
	if err != nil {
		return err
	}
	it.NotBefore = notBefore.UTC()
	return q.put(b, it)
}

// Ack removes an item (done, or given up).
func (q Queue) Ack(tx Tx, key string) error { return tx.Bucket(q.ns).Delete(key) }

// Scan calls fn for every item, oldest first; fn may return ErrStop.
func (q Queue) Scan(tx Tx, fn func(QueueItem) error) error {
	return tx.Bucket(q.ns).Scan(ScanOptions{}, func(k string, v []byte) error {
		it, err := q.decode(k, v)
		if err != nil {
			return err
		}
		return fn(it)
	})
}

// Len counts the items.
func (q Queue) Len(tx Tx) (int, error) {
	n := 0
	err := q.Scan(tx, func(QueueItem) error { n++; return nil })
	return n, err
}

func (q Queue) get(b Bucket, key string) (QueueItem, error) {
	v := b.Get(key)
	if v == nil {
		return QueueItem{}, fmt.Errorf("queue %s: no item %s", q.ns, key)
	}
	return q.decode(key, v)
}

func (q Queue) decode(key string, v []byte) (QueueItem, error) {
	var it QueueItem
	if err := json.Unmarshal(v, &it); err != nil {
		return QueueItem{}, fmt.Errorf("queue %s: item %s: %w", q.ns, key, err)
	}
	it.Key = key
	return it, nil
}

func (q Queue) put(b Bucket, it QueueItem) error {
	v, err := json.Marshal(it)
	if err != nil {
		return err
	}
	return b.Put(it.Key, v)
}
