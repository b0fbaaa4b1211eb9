package outbox

import (
	"context"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

// Report is a delivery-status report (RFC 3464) found in a mailbox.
type Report struct {
	// ReportID identifies the report message (its mailbox id), so one
	// report is linked once.
	ReportID string
	// EnvID is the report's Original-Envelope-Id: our item id (RFC 3464 §2.2.1).
	EnvID string
	// OriginalMessageID is the Message-ID of the message the report is about.
	OriginalMessageID string
	Recipients        []ReportRecipient
	At                time.Time
}

// ReportRecipient is one per-recipient block of a report.
type ReportRecipient struct {
	FinalRecipient, OriginalRecipient string
	Action, Status, Diagnostic        string
}

// Seen reports whether a report was already examined on account.
func (o *Outbox) Seen(ctx context.Context, account, reportID string) (bool, error) {
	seen := false
	err := o.cfg.Store.View(ctx, func(tx store.Tx) error {
		seen = tx.Bucket(bucketSeen).Get(indexKey(account, reportID)) != nil
		return nil
	})
	return seen, err
}

// LinkReport attaches a report to the item it is about (by ENVID, else by
// Message-ID among the account's items) and remembers the report as seen
// either way. It returns the item id, or "" when the report is about mail
// that did not go through this outbox.
func (o *Outbox) LinkReport(ctx context.Context, account string, r Report) (string, error) {
	linked := ""
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		linked = ""
		it := findReported(tx, account, r)
		seenVal := []byte{}
		if it != nil {
			at := r.At
			if at.IsZero() {
				at = time.Now().UTC()
			}
			for _, rr := range r.Recipients {
				for i := range it.Recipients {
					rc := &it.Recipients[i]
					if !strings.EqualFold(rc.Address, rr.FinalRecipient) && !strings.EqualFold(rc.Address, rr.OriginalRecipient) {
						continue
					}
					rc.Bounce = &Bounce{Action: rr.Action, Status: rr.Status, Diagnostic: rr.Diagnostic, ReportID: r.ReportID, At: at.UTC()}
				}
			}
			it.Updated = time.Now().UTC()
			if it.State == StateSent {
				if why := it.bounceFailure(); why != "" {
					// Accepted for submission, but undeliverable to everyone.
					it.State, it.LastError = StateFailed, why
				}
			}
			if err := putItem(tx, it); err != nil {
				return err
			}
			linked = it.ID
			seenVal = []byte(it.ID)
		}
		return tx.Bucket(bucketSeen).Put(indexKey(account, r.ReportID), seenVal)
	})
	return linked, err
}

// bounceFailure explains why a sent item failed after all when a report
// says delivery failed for every recipient the server had accepted; it is
// "" while any accepted recipient may still have received it.
func (it *Item) bounceFailure() string {
	var reasons []string
	for _, r := range it.Recipients {
		if r.Status != RcptAccepted {
			continue
		}
		if r.Bounce == nil || !strings.EqualFold(r.Bounce.Action, "failed") {
			return ""
		}
		reasons = append(reasons, strings.TrimSpace(r.Address+": "+r.Bounce.Status+" "+r.Bounce.Diagnostic))
	}
	if len(reasons) == 0 {
		return ""
	}
	return "the server accepted the message, but a later delivery report says it could not be delivered: " + strings.Join(reasons, "; ")
}

func findReported(tx store.Tx, account string, r Report) *Item {
	if r.EnvID != "" {
		if it, err := getItem(tx, r.EnvID); err == nil && it.Account == account {
			return it
		}
	}
	mid := strings.Trim(strings.TrimSpace(r.OriginalMessageID), "<>")
	if mid == "" {
		return nil
	}
	var found *Item
	tx.Bucket(bucketItems).Scan(store.ScanOptions{Reverse: true}, func(_ string, v []byte) error {
		it, err := decodeItem(v)
		if err == nil && it.Account == account && strings.EqualFold(it.MessageID, mid) {
			found = it
			return store.ErrStop
		}
		return nil
	})
	return found
}

// Oldest returns the creation time of the oldest item of account created
// after since, or zero; bounce scans need not look further back.
func (o *Outbox) Oldest(ctx context.Context, account string, since time.Time) (time.Time, error) {
	var oldest time.Time
	err := o.cfg.Store.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(bucketItems).Scan(store.ScanOptions{After: newIDPrefix(since)}, func(_ string, v []byte) error {
			it, err := decodeItem(v)
			if err != nil {
				return err
			}
			if it.Account == account && it.State != StateQueued {
				oldest = it.Created
				return store.ErrStop
			}
			return nil
		})
	})
	return oldest, err
}
