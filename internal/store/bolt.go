package store

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

type boltTx struct{ tx *bolt.Tx }

func (t *boltTx) Writable() bool { return t.tx.Writable() }

func (t *boltTx) Bucket(ns string) Bucket { return &boltBucket{tx: t.tx, name: []byte(ns)} }

// boltBucket resolves its bbolt bucket on each call, so a bucket that does
// not exist yet reads as empty and is created by the first write.
type boltBucket struct {
	tx   *bolt.Tx
	name []byte
}

func (b *boltBucket) get() *bolt.Bucket { return b.tx.Bucket(b.name) }

func (b *boltBucket) create() (*bolt.Bucket, error) {
	if !b.tx.Writable() {
		return nil, ErrReadOnly
	}
	return b.tx.CreateBucketIfNotExists(b.name)
}

func (b *boltBucket) Get(key string) []byte {
	bb := b.get()
	if bb == nil {
		return nil
	}
	v := bb.Get([]byte(key))
	if v == nil {
		return nil
	}
	return bytes.Clone(v)
}

func (b *boltBucket) Put(key string, val []byte) error {
	bb, err := b.create()
	if err != nil {
		return err
	}
	if val == nil {
		val = []byte{}
	}
	return bb.Put([]byte(key), val)
}

func (b *boltBucket) Delete(key string) error {
	if !b.tx.Writable() {
		return ErrReadOnly
	}
	bb := b.get()
	if bb == nil {
		return nil
	}
	return bb.Delete([]byte(key))
}

func (b *boltBucket) NextSeq() (uint64, error) {
	bb, err := b.create()
	if err != nil {
		return 0, err
	}
	return bb.NextSequence()
}

func (b *boltBucket) Scan(opt ScanOptions, fn func(string, []byte) error) error {
	bb := b.get()
	if bb == nil {
		return nil
	}
	c := bb.Cursor()
	prefix := []byte(opt.Prefix)
	var k, v []byte
	if !opt.Reverse {
		start := prefix
		if opt.After != "" && opt.After >= opt.Prefix {
			start = []byte(opt.After)
		}
		k, v = c.Seek(start)
		if opt.After != "" && k != nil && string(k) == opt.After {
			k, v = c.Next()
		}
	} else {
		// Start below the smaller of After and the first key past the prefix.
		bound := []byte(opt.After)
		if succ := successor(prefix); succ != nil && (len(bound) == 0 || bytes.Compare(succ, bound) < 0) {
			bound = succ
		}
		if len(bound) == 0 {
			k, v = c.Last()
		} else if k, _ = c.Seek(bound); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
	}
	for k != nil && bytes.HasPrefix(k, prefix) {
		if v != nil { // nil values are nested buckets, which we never create
			if err := fn(string(k), bytes.Clone(v)); err != nil {
				if err == ErrStop {
					return nil
				}
				return err
			}
		}
		if opt.Reverse {
			k, v = c.Prev()
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// successor returns the smallest key greater than every key with prefix p,
// or nil when there is none (p empty or all 0xff).
func successor(p []byte) []byte {
	s := bytes.Clone(p)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0xff {
			s[i]++
			return s[:i+1]
		}
	}
	return nil
}
