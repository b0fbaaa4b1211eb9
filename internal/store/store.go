package store

import (
	"context"
	"errors"
)

// Store is a durable, transactional key/value store with namespaced buckets.
// Implementations must be safe for concurrent use by many goroutines and, for
// shared backends, by many processes.
type Store interface {
	// Update runs fn in one atomic read-write transaction: either every
	// change fn made is durably committed when Update returns nil, or none
	// is (fn returned an error, or the commit failed). fn may be called
	// again by implementations that retry on conflicts, so it must not have
	// side effects outside tx.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn on a consistent read-only snapshot.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the store. Transactions after Close fail.
	Close() error
}

// Tx is one transaction.
type Tx interface {
	// Bucket returns the namespace ns ("outbox.items", "watch.checkpoints").
	// In a read-write transaction it is created on first write; in a
	// read-only one a missing bucket reads as empty.
	Bucket(ns string) Bucket
	// Writable reports whether the transaction may write.
	Writable() bool
}

// Bucket is one namespace of keys, iterated in byte order of the keys.
type Bucket interface {
	// Get returns a copy of the value of key, or nil when absent.
	Get(key string) []byte
	// Put sets key to val (an empty val is stored as empty, not deleted).
	Put(key string, val []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(key string) error
	// Scan calls fn for the keys that match opt, in key order (or reverse).
	// fn may return ErrStop to end early without an error. Values passed to
	// fn are copies the caller may keep. fn must not modify the bucket.
	Scan(opt ScanOptions, fn func(key string, val []byte) error) error
	// NextSeq returns a per-bucket counter that only grows (1, 2, …).
	NextSeq() (uint64, error)
}

// ScanOptions select the keys of a Scan.
type ScanOptions struct {
	// Prefix limits the scan to keys that start with it.
	Prefix string
	// After starts after this key (exclusive; before it when Reverse), for
	// paging; "" starts at the first (or last) key of the prefix.
	After string
	// Reverse iterates from the greatest key down.
	Reverse bool
}

var (
	// ErrStop ends a Scan early; Scan then returns nil.
	ErrStop = errors.New("store: stop scan")
	// ErrReadOnly is returned by writes in a View transaction.
	ErrReadOnly = errors.New("store: write in a read-only transaction")
	// ErrBusy means another process held the store for longer than the
	// lock timeout. Callers should report it and retry later.
	ErrBusy = errors.New("store: busy")
	// ErrClosed is returned by transactions on a closed store.
	ErrClosed = errors.New("store: closed")
)
