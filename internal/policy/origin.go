package policy

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

// Where a message in the mailbox came from decides what it may do: only a
// draft mailmcp saved itself is sent as it stands, and a message the agent
// placed into Sent or Drafts (copy, move) never teaches correspondents
// and never passes for a saved draft. The records are kept in the store,
// keyed by Message-ID, so every process of a state directory sees them.

func savedBucket(account string) string  { return "policy.saved." + account }
func placedBucket(account string) string { return "policy.placed." + account }

// originTTL bounds how long a record is kept (older ones are pruned when
// new ones are written).
const originTTL = 400 * 24 * time.Hour

type originRecord struct {
	Digest string    `json:"digest,omitempty"`
	At     time.Time `json:"at"`
}

func midKey(messageID string) string { return strings.ToLower(strings.Trim(messageID, "<> ")) }

// RecordSaved notes that mailmcp saved a draft with this Message-ID and
// content digest (see ContentDigest).
func (l *Ledger) RecordSaved(ctx context.Context, account, messageID, digest string) error {
	return l.putOrigin(ctx, savedBucket(account), messageID, originRecord{Digest: digest, At: l.now().UTC()})
}

// SavedDraft reports whether mailmcp saved a draft with this Message-ID
// and exactly this content digest, and the agent did not place a message
// with the same Message-ID into the mailbox since.
func (l *Ledger) SavedDraft(ctx context.Context, account, messageID, digest string) (bool, error) {
	if midKey(messageID) == "" || digest == "" {
		return false, nil
	}
	var ok bool
	err := l.st.View(ctx, func(tx store.Tx) error {
		var r originRecord
		v := tx.Bucket(savedBucket(account)).Get(midKey(messageID))
		ok = v != nil && json.Unmarshal(v, &r) == nil && r.Digest == digest &&
			tx.Bucket(placedBucket(account)).Get(midKey(messageID)) == nil
		return nil
	})
	return ok, err
}

// RecordPlaced notes that the agent copied or moved a message with this
// Message-ID into Sent or Drafts.
func (l *Ledger) RecordPlaced(ctx context.Context, account, messageID string) error {
	return l.putOrigin(ctx, placedBucket(account), messageID, originRecord{At: l.now().UTC()})
}

// Placed reports whether the agent placed a message with this Message-ID
// into Sent or Drafts.
func (l *Ledger) Placed(ctx context.Context, account, messageID string) (bool, error) {
	var ok bool
	err := l.st.View(ctx, func(tx store.Tx) error {
		ok = tx.Bucket(placedBucket(account)).Get(midKey(messageID)) != nil
		return nil
	})
	return ok, err
}

func (l *Ledger) putOrigin(ctx context.Context, bucket, messageID string, r originRecord) error {
	k := midKey(messageID)
	if k == "" {
		return nil
	}
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return l.st.Update(ctx, func(tx store.Tx) error {
		b := tx.Bucket(bucket)
		if err := pruneOrigins(b, r.At.Add(-originTTL)); err != nil {
			return err
		}
		return b.Put(k, v)
	})
}

// pruneOrigins drops records older than before. It runs on a write only
// once the bucket is large, so a save stays cheap.
func pruneOrigins(b store.Bucket, before time.Time) error {
	n := 0
	var old []string
	err := b.Scan(store.ScanOptions{}, func(k string, v []byte) error {
		n++
		var r originRecord
		if json.Unmarshal(v, &r) != nil || r.At.Before(before) {
			old = append(old, k)
		}
		return nil
	})
	if err != nil || n < 1000 {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
