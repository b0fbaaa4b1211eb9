package watch

import (
	"encoding/json"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// Buckets of the store this package uses.
const (
	bucketEvents      = "watch.events"
	bucketCheckpoints = "watch.checkpoints"
)

// Checkpoint is how far a folder has been emitted.
type Checkpoint struct {
	UIDValidity uint32 `json:"uid_validity"`
	// LastUID is the highest UID emitted (or skipped at the first start).
	LastUID uint32 `json:"last_uid"`
	// ModSeq is the HIGHESTMODSEQ up to which flag changes were emitted
	// (0 without CONDSTORE).
	ModSeq  uint64    `json:"modseq,omitempty"`
	Updated time.Time `json:"updated"`
}

func checkpointKey(account, folder string) string { return account + "\x00" + folder }

// loadCheckpoint reads a folder's checkpoint (nil when none).
func loadCheckpoint(tx store.Tx, account, folder string) (*Checkpoint, error) {
	v := tx.Bucket(bucketCheckpoints).Get(checkpointKey(account, folder))
	if v == nil {
		return nil, nil
	}
	var cp Checkpoint
	if err := json.Unmarshal(v, &cp); err != nil {
		return nil, fault.Errorf(fault.Local, "watch", "watch: checkpoint of %s/%s is unreadable: %w", account, folder, err)
	}
	return &cp, nil
}

func saveCheckpoint(tx store.Tx, account, folder string, cp *Checkpoint) error {
	cp.Updated = time.Now().UTC()
	v, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketCheckpoints).Put(checkpointKey(account, folder), v)
}
