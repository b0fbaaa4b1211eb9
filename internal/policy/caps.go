package policy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// Caps bound how much an account sends; zero means no limit.
type Caps struct {
	PerHour int
	PerDay  int
	// NewRecipientsPerDay counts addresses the account never sent to.
	NewRecipientsPerDay int
}

// CapError says which cap a send would exceed and when to try again.
// Reserve returns it inside a limit_reached *fault.Error.
type CapError struct {
	Cap        string
	Limit      int
	RetryAfter time.Duration
}

func (e *CapError) Error() string {
	return fmt.Sprintf("sending cap reached: at most %d %s; nothing was queued. Try again in %s, or ask the user to raise the limit in the configuration",
		e.Limit, e.Cap, e.RetryAfter.Round(time.Minute))
}

// Ledger records sends and correspondents in the shared store, so caps and
// known-correspondent checks hold across concurrent calls and processes.
type Ledger struct {
	st  store.Store
	now func() time.Time
}

// NewLedger uses st.
func NewLedger(st store.Store) *Ledger { return &Ledger{st: st, now: time.Now} }

func sendsBucket(account string) string { return "policy.sends." + account }
func newBucket(account string) string   { return "policy.newrcpt." + account }
func knownBucket(account string) string { return "policy.known." + account }

// tsKey orders entries by time; the sequence keeps keys unique.
func tsKey(t time.Time, seq uint64) string { return fmt.Sprintf("%020d-%08d", t.UnixNano(), seq) }

func keyTime(k string) time.Time {
	var ns int64
	fmt.Sscanf(k, "%020d", &ns)
	return time.Unix(0, ns)
}

// Reservation is a send counted against the caps; Release undoes it when
// the message was not handed over after all.
type Reservation struct {
	l        *Ledger
	account  string
	keys     map[string][]string // bucket → keys written
	newAddrs []string
}

// Reserve checks the caps for a message to recipients (normalised) and, if
// they allow it, counts it and marks the recipients as correspondents — in
// one transaction, so concurrent sends cannot all slip under a cap.
func (l *Ledger) Reserve(ctx context.Context, account string, caps Caps, recipients []string) (*Reservation, error) {
	now := l.now()
	res := &Reservation{l: l, account: account, keys: map[string][]string{}}
	err := l.st.Update(ctx, func(tx store.Tx) error {
		res.keys = map[string][]string{}
		res.newAddrs = nil
		sends := tx.Bucket(sendsBucket(account))
		newR := tx.Bucket(newBucket(account))
		known := tx.Bucket(knownBucket(account))
		if err := prune(sends, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		if err := prune(newR, now.Add(-24*time.Hour)); err != nil {
			return err
		}
		hour, day, oldestHour, oldestDay, err := countSince(sends, now)
		if err != nil {
			return err
		}
		if caps.PerHour > 0 && hour >= caps.PerHour {
			return &CapError{Cap: "messages per hour", Limit: caps.PerHour, RetryAfter: oldestHour.Add(time.Hour).Sub(now)}
		}
		if caps.PerDay > 0 && day >= caps.PerDay {
			return &CapError{Cap: "messages per day", Limit: caps.PerDay, RetryAfter: oldestDay.Add(24 * time.Hour).Sub(now)}
		}
		seen := map[string]bool{}
		for _, r := range recipients {
			if !seen[r] && known.Get(r) == nil {
				res.newAddrs = append(res.newAddrs, r)
			}
			seen[r] = true
		}
		if caps.NewRecipientsPerDay > 0 && len(res.newAddrs) > 0 {
			_, n, _, oldest, err := countSince(newR, now)
			if err != nil {
				return err
			}
			if n+len(res.newAddrs) > caps.NewRecipientsPerDay {
				retry := 24 * time.Hour
				if n > 0 {
					retry = oldest.Add(24 * time.Hour).Sub(now)
				}
				return &CapError{Cap: "first-time recipients per day", Limit: caps.NewRecipientsPerDay, RetryAfter: retry}
			}
		}
		seq, err := sends.NextSeq()
		if err != nil {
			return err
		}
		k := tsKey(now, seq)
		if err := sends.Put(k, []byte("1")); err != nil {
			return err
		}
		res.keys[sendsBucket(account)] = append(res.keys[sendsBucket(account)], k)
		for _, a := range res.newAddrs {
			seq, err := newR.NextSeq()
			if err != nil {
				return err
			}
			k := tsKey(now, seq)
			if err := newR.Put(k, []byte(a)); err != nil {
				return err
			}
			res.keys[newBucket(account)] = append(res.keys[newBucket(account)], k)
			if err := known.Put(a, knownSince(now)); err != nil {
				return err
			}
		}
		return nil
	})
	var ce *CapError
	if errors.As(err, &ce) {
		return nil, &fault.Error{Kind: fault.LimitReached, Op: "send", Err: ce}
	}
	if err != nil {
		return nil, storeErr("check the sending caps", err)
	}
	return res, nil
}

// Release removes the reservation (the message was not handed over).
func (r *Reservation) Release(ctx context.Context) error {
	return r.l.st.Update(ctx, func(tx store.Tx) error {
		for b, keys := range r.keys {
			for _, k := range keys {
				if err := tx.Bucket(b).Delete(k); err != nil {
					return err
				}
			}
		}
		known := tx.Bucket(knownBucket(r.account))
		for _, a := range r.newAddrs {
			if err := known.Delete(a); err != nil {
				return err
			}
		}
		return nil
	})
}

func prune(b store.Bucket, before time.Time) error {
	var old []string
	cut := tsKey(before, 0)
	err := b.Scan(store.ScanOptions{}, func(k string, _ []byte) error {
		if k >= cut {
			return store.ErrStop
		}
		old = append(old, k)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// countSince counts entries in the last hour and day and returns the
// oldest entry of each window.
func countSince(b store.Bucket, now time.Time) (hour, day int, oldestHour, oldestDay time.Time, err error) {
	hourAgo, dayAgo := now.Add(-time.Hour), now.Add(-24*time.Hour)
	err = b.Scan(store.ScanOptions{}, func(k string, _ []byte) error {
		t := keyTime(k)
		if t.After(dayAgo) {
			if day == 0 {
				oldestDay = t
			}
			day++
		}
		if t.After(hourAgo) {
			if hour == 0 {
				oldestHour = t
			}
			hour++
		}
		return nil
	})
	return
}

// knownSince is the value of a known correspondent: when it became known.
func knownSince(t time.Time) []byte { return []byte(t.UTC().Format(time.RFC3339)) }

// Known reports whether the account has sent mail to addr (normalised).
func (l *Ledger) Known(ctx context.Context, account, addr string) (bool, error) {
	var ok bool
	err := l.st.View(ctx, func(tx store.Tx) error {
		ok = tx.Bucket(knownBucket(account)).Get(addr) != nil
		return nil
	})
	return ok, storeErr("look up a correspondent", err)
}

// KnownSet returns every known correspondent of the account and their
// domains, for lookalike checks (bounded by max entries).
func (l *Ledger) KnownSet(ctx context.Context, account string, max int) (map[string]bool, error) {
	out := map[string]bool{}
	err := l.st.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(knownBucket(account)).Scan(store.ScanOptions{}, func(k string, _ []byte) error {
			out[k] = true
			if len(out) >= max {
				return store.ErrStop
			}
			return nil
		})
	})
	return out, storeErr("read the known correspondents", err)
}

// AddKnown records correspondents learned elsewhere (e.g. from the Sent
// folder) without counting them against any cap.
func (l *Ledger) AddKnown(ctx context.Context, account string, addrs []string) error {
	if len(addrs) == 0 {
		return nil
	}
	now := knownSince(l.now())
	return storeErr("record correspondents", l.st.Update(ctx, func(tx store.Tx) error {
		b := tx.Bucket(knownBucket(account))
		for _, a := range addrs {
			if b.Get(a) == nil {
				if err := b.Put(a, now); err != nil {
					return err
				}
			}
		}
		return nil
	}))
}

// seededKey records when the known correspondents were last learned from
// the Sent folder.
const seededKey = "~seeded"

// SeededAt returns when MarkSeeded was last called for the account.
func (l *Ledger) SeededAt(ctx context.Context, account string) (time.Time, error) {
	var t time.Time
	err := l.st.View(ctx, func(tx store.Tx) error {
		if v := tx.Bucket("policy.meta." + account).Get(seededKey); v != nil {
			return t.UnmarshalText(v)
		}
		return nil
	})
	return t, storeErr("read when correspondents were learned", err)
}

// MarkSeeded records that the known correspondents were just learned.
func (l *Ledger) MarkSeeded(ctx context.Context, account string) error {
	b, _ := l.now().UTC().MarshalText()
	return storeErr("record when correspondents were learned", l.st.Update(ctx, func(tx store.Tx) error {
		return tx.Bucket("policy.meta."+account).Put(seededKey, b)
	}))
}
