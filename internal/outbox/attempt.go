package outbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
)

// maxCopyAttempts bounds retries of the Sent copy.
const maxCopyAttempts = 5

// storeCtx bounds a bookkeeping transaction. It is not tied to shutdown:
// recording an outcome must not be cut short by the cancellation that ended
// the attempt.
func storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// startAttempt processes id in a goroutine the outbox owns and returns a
// channel closed when done (nil when the outbox is closing). Two calls for
// the same id in this process share one run.
func (o *Outbox) startAttempt(id string) <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing {
		return nil
	}
	if ch, ok := o.running[id]; ok {
		return ch
	}
	ch := make(chan struct{})
	o.running[id] = ch
	o.attempts.Add(1)
	go func() {
		defer o.attempts.Done()
		defer func() {
			o.mu.Lock()
			delete(o.running, id)
			o.mu.Unlock()
			close(ch)
		}()
		o.process(id)
	}()
	return ch
}

func (o *Outbox) isRunning(id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.running[id]
	return ok
}

// process submits id if it is due, then runs its after-send work.
func (o *Outbox) process(id string) {
	if it := o.claim(id); it != nil {
		o.submit(it)
	}
	o.postSend(id)
}

// claim moves a due queued item to submitting, owned by this process.
func (o *Outbox) claim(id string) *Item {
	return o.claimIf(id, "claim", func(_ store.Tx, it *Item) bool {
		if it.State != StateQueued {
			return false
		}
		it.State, it.Phase = StateSubmitting, PhaseConnecting
		it.Attempts++
		return true
	})
}

// claimIf takes ownership of id in one transaction when it is due and take
// (which may update it) agrees, and returns the claimed item, or nil when
// it was not claimed; what names the claim in the log.
func (o *Outbox) claimIf(id, what string, take func(tx store.Tx, it *Item) bool) *Item {
	ctx, cancel := storeCtx()
	defer cancel()
	var claimed *Item
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		claimed = nil
		it, err := getItem(tx, id)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		if it.NextAttempt.After(now) || !take(tx, it) {
			return nil
		}
		it.Owner, it.Updated = o.token, now
		claimed = it
		return putItem(tx, it)
	})
	if err != nil {
		o.log.Warn(what+" failed", "id", id, "err", err)
		return nil
	}
	return claimed
}

// submit runs one attempt and records its outcome.
func (o *Outbox) submit(it *Item) {
	raw, err := o.cfg.Bodies.Read(it.RawFile)
	if err != nil {
		o.record(it.ID, nil, &missingRaw{err}, false)
		return
	}
	ctx, cancel := context.WithTimeout(o.ctx, o.cfg.AttemptTimeout)
	defer cancel()
	committed := false
	commit := func() error {
		sctx, cancel := storeCtx()
		defer cancel()
		err := o.cfg.Store.Update(sctx, func(tx store.Tx) error {
			cur, err := getItem(tx, it.ID)
			if err != nil {
				return err
			}
			if cur.State != StateSubmitting || cur.Owner != o.token {
				return fmt.Errorf("outbox: item %s is no longer ours (%s)", it.ID, cur.State)
			}
			cur.Phase, cur.Updated = PhaseCommitted, time.Now().UTC()
			return putItem(tx, cur)
		})
		committed = err == nil
		return err
	}
	env := Envelope{From: it.From, To: it.Pending(), EnvID: it.ID, SMTPUTF8: it.SMTPUTF8}
	o.log.Info("submitting", "id", it.ID, "account", it.Account, "attempt", it.Attempts, "recipients", len(env.To))
	sub, err := o.cfg.Transport.Submit(ctx, it.Account, env, raw, commit)
	o.record(it.ID, sub, err, committed)
}

// missingRaw is a permanent failure: the message file is gone.
type missingRaw struct{ err error }

func (m *missingRaw) Error() string { return "the journaled message file is missing: " + m.err.Error() }

// record stores the outcome of an attempt (see the package doc for the rules).
func (o *Outbox) record(id string, sub *Submission, subErr error, committed bool) {
	ctx, cancel := storeCtx()
	defer cancel()
	var final *Item
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		it, err := getItem(tx, id)
		if err != nil {
			return err
		}
		if it.State != StateSubmitting || it.Owner != o.token {
			return fmt.Errorf("item is %s, owned by %q", it.State, it.Owner)
		}
		now := time.Now().UTC()
		it.Owner, it.Phase, it.Updated = "", PhaseNone, now
		switch {
		case subErr != nil:
			o.applyError(it, subErr, committed, now)
		default:
			applySubmission(it, sub)
			if len(it.Pending()) > 0 {
				o.retry(it, now)
			} else {
				o.settle(it, now)
			}
		}
		final = it
		return putItem(tx, it)
	})
	if err != nil {
		// The item stays submitting under this process's token; the worker
		// resolves it by its phase (see sweep).
		o.log.Error("recording a submission outcome failed", "id", id, "err", err)
		return
	}
	a, r := final.Counts()
	o.log.Info("attempt finished", "id", id, "state", final.State, "accepted", a, "refused", r, "pending", len(final.Pending()))
	o.dropRaw(final)
}

func (o *Outbox) applyError(it *Item, err error, committed bool, now time.Time) {
	class := Permanent
	if _, missing := err.(*missingRaw); !missing {
		class = o.cfg.Transport.Classify(err)
	}
	msg := err.Error()
	it.LastError = msg
	switch {
	case class == Permanent:
		for i := range it.Recipients {
			if r := &it.Recipients[i]; r.Status == RcptPending {
				r.Status, r.Message, r.Permanent = RcptRefused, msg, true
			}
		}
		o.settle(it, now)
	case class == NoReply && committed:
		it.State = StateInDoubt
		it.LastError = "the connection ended after the message was sent and before the server's reply arrived, so it may or may not have been accepted (not resent, to avoid a duplicate): " + msg
	default:
		o.retry(it, now)
	}
}

// applySubmission records per-recipient outcomes.
func applySubmission(it *Item, sub *Submission) {
	if sub == nil {
		return
	}
	it.Response = sub.Response
	acc := map[string]bool{}
	for _, a := range sub.Accepted {
		acc[strings.ToLower(a)] = true
	}
	ref := map[string]Refusal{}
	for _, r := range sub.Refused {
		ref[strings.ToLower(r.Address)] = r
	}
	for i := range it.Recipients {
		r := &it.Recipients[i]
		if r.Status != RcptPending {
			continue
		}
		key := strings.ToLower(r.Address)
		if acc[key] {
			r.Status, r.Code, r.Enhanced, r.Message, r.Permanent = RcptAccepted, 0, "", sub.Response, false
			continue
		}
		if f, ok := ref[key]; ok {
			r.Code, r.Enhanced, r.Message, r.Permanent = f.Code, f.Enhanced, f.Message, f.Permanent
			if f.Permanent {
				r.Status = RcptRefused
			} else {
				it.LastError = fmt.Sprintf("%s: %d %s", r.Address, f.Code, f.Message)
			}
		}
	}
}

// retry queues the pending recipients again after a backoff, or gives up.
func (o *Outbox) retry(it *Item, now time.Time) {
	if now.Sub(it.Created) >= o.cfg.MaxAge {
		why := fmt.Sprintf("gave up after %d attempts over %s: %s", it.Attempts, o.cfg.MaxAge, it.LastError)
		for i := range it.Recipients {
			if r := &it.Recipients[i]; r.Status == RcptPending {
				r.Status, r.Message = RcptRefused, why
			}
		}
		it.LastError = why
		o.settle(it, now)
		return
	}
	it.State = StateQueued
	it.NextAttempt = now.Add(o.backoff(it.Attempts))
}

// backoff is exponential with jitter: between half and all of
// BaseDelay·2^(n-1), capped at MaxDelay.
func (o *Outbox) backoff(attempts int) time.Duration {
	d := o.cfg.BaseDelay
	for i := 1; i < attempts && d < o.cfg.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, o.cfg.MaxDelay)
	return d/2 + rand.N(d/2+1)
}

// settle ends the submission: sent when anyone accepted it, else failed.
func (o *Outbox) settle(it *Item, now time.Time) {
	it.NextAttempt = time.Time{}
	accepted, _ := it.Counts()
	if accepted == 0 {
		it.State = StateFailed
		if it.LastError == "" {
			for _, r := range it.Recipients {
				if r.Message != "" {
					it.LastError = fmt.Sprintf("%s refused: %s", r.Address, r.Message)
					break
				}
			}
		}
		return
	}
	it.State, it.SentAt = StateSent, now
	if o.cfg.Transport.SavesSent(it.Account) {
		it.SentCopy.Status = CopyServer
	} else {
		it.SentCopy.Status = CopyPending
	}
}

// postSend files the Sent copy and runs the follow-ups of a sent item,
// once, under this process's ownership.
func (o *Outbox) postSend(id string) {
	it := o.claimPost(id)
	if it == nil {
		return
	}
	var raw []byte
	copyErr := ""
	copyDone := false
	if it.SentCopy.Status == CopyPending {
		var err error
		if raw, err = o.cfg.Bodies.Read(it.RawFile); err == nil {
			ctx, cancel := context.WithTimeout(o.ctx, 2*time.Minute)
			err = o.cfg.Transport.SaveSent(ctx, it.Account, it.MessageID, raw)
			cancel()
		}
		if err != nil {
			copyErr = err.Error()
		} else {
			copyDone = true
		}
	}
	var results []FollowUp
	for _, f := range it.FollowUps {
		if f.Done || f.Error != "" {
			results = append(results, f)
			continue
		}
		ctx, cancel := context.WithTimeout(o.ctx, time.Minute)
		if err := o.cfg.Transport.FollowUp(ctx, it.Account, f); err != nil {
			f.Error = err.Error()
		} else {
			f.Done = true
		}
		cancel()
		results = append(results, f)
	}
	ctx, cancel := storeCtx()
	defer cancel()
	var final *Item
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := getItem(tx, id)
		if err != nil {
			return err
		}
		if cur.Owner != o.token {
			return fmt.Errorf("item owned by %q", cur.Owner)
		}
		now := time.Now().UTC()
		cur.Owner, cur.Updated = "", now
		if cur.SentCopy.Status == CopyPending {
			cur.SentCopy.Attempts++
			switch {
			case copyDone:
				cur.SentCopy.Status, cur.SentCopy.Error = CopySaved, ""
			case cur.SentCopy.Attempts >= maxCopyAttempts:
				cur.SentCopy.Status, cur.SentCopy.Error = CopyFailed, copyErr
			default:
				cur.SentCopy.Error = copyErr
				cur.NextAttempt = now.Add(o.backoff(cur.SentCopy.Attempts))
			}
		}
		if results != nil {
			cur.FollowUps = results
		}
		final = cur
		return putItem(tx, cur)
	})
	if err != nil {
		o.log.Error("recording after-send work failed", "id", id, "err", err)
		return
	}
	if copyErr != "" {
		o.log.Warn("saving the Sent copy failed", "id", id, "attempt", final.SentCopy.Attempts, "err", copyErr)
	}
	o.dropRaw(final)
}

// claimPost takes ownership of a sent item's remaining after-send work.
func (o *Outbox) claimPost(id string) *Item {
	return o.claimIf(id, "claiming after-send work", func(tx store.Tx, it *Item) bool {
		return it.postWork() && (it.Owner == "" || it.Owner == o.token || !o.cfg.Owners.Alive(tx, it.Owner))
	})
}

// dropRaw deletes the message file once nothing can need it again. Items in
// doubt keep theirs.
func (o *Outbox) dropRaw(it *Item) {
	if it.State == StateQueued || it.State == StateSubmitting || it.State == StateInDoubt || it.postWork() {
		return
	}
	o.cfg.Bodies.Remove(it.RawFile)
}

// worker retries due items, resolves abandoned attempts and prunes old
// items until Close.
func (o *Outbox) worker() {
	defer close(o.workerDone)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-o.stopWorker:
			return
		case <-o.wake:
		case <-t.C:
		}
		next := o.sweep()
		t.Reset(min(time.Until(next), o.cfg.Poll))
	}
}

// Wake makes the worker sweep now.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// sweep does one pass and returns when the next item falls due.
func (o *Outbox) sweep() time.Time {
	now := time.Now().UTC()
	next := now.Add(o.cfg.Poll)
	var due, abandoned, old []string
	waiting := map[string]int{}
	ctx, cancel := storeCtx()
	defer cancel()
	err := o.cfg.Store.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(bucketItems).Scan(store.ScanOptions{}, func(_ string, v []byte) error {
			it, err := decodeItem(v)
			if err != nil {
				return err
			}
			if it.State == StateQueued || it.State == StateSubmitting {
				waiting[it.Account]++
			}
			switch {
			case it.State == StateSubmitting:
				if o.abandoned(tx, it) {
					abandoned = append(abandoned, it.ID)
				}
			case it.State == StateQueued || it.postWork():
				if !it.NextAttempt.After(now) {
					due = append(due, it.ID)
				} else if it.NextAttempt.Before(next) {
					next = it.NextAttempt
				}
			case it.State.Terminal() && now.Sub(it.Updated) > o.cfg.Retain:
				old = append(old, it.ID)
			}
			return nil
		})
	})
	if err != nil {
		o.log.Warn("outbox sweep failed", "err", err)
		return next
	}
	if o.cfg.OnQueue != nil {
		o.cfg.OnQueue(waiting)
	}
	for _, id := range abandoned {
		o.resolveAbandoned(id)
	}
	due = append(due, abandoned...)
	slices.Sort(due)
	for _, id := range slices.Compact(due) {
		select {
		case <-o.stopWorker:
			return next
		default:
		}
		if done := o.startAttempt(id); done != nil {
			<-done
		}
	}
	if len(old) > 0 {
		o.prune(old)
	}
	return next
}

// abandoned reports whether nobody works on a submitting item any more: it
// is this process's but no attempt runs, or its owner process is gone.
func (o *Outbox) abandoned(tx store.Tx, it *Item) bool {
	if it.Owner == o.token {
		return !o.isRunning(it.ID)
	}
	return !o.cfg.Owners.Alive(tx, it.Owner)
}

// resolveAbandoned settles an attempt whose process died: before the commit
// point it is queued again, after it the item is in doubt.
func (o *Outbox) resolveAbandoned(id string) {
	ctx, cancel := storeCtx()
	defer cancel()
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		it, err := getItem(tx, id)
		if err != nil || it.State != StateSubmitting {
			return err
		}
		if !o.abandoned(tx, it) {
			return nil
		}
		now := time.Now().UTC()
		if it.Phase == PhaseCommitted {
			it.State = StateInDoubt
			it.LastError = "mailmcp stopped after sending the message's final dot and before the server's reply was recorded; the server may have accepted it. It was not resent, to avoid a duplicate: check the recipient's copy or the Sent folder before sending again"
			o.log.Warn("attempt abandoned after commit: in doubt", "id", id)
		} else {
			it.State, it.NextAttempt = StateQueued, now
			it.LastError = "an earlier attempt was interrupted before the message was committed; sending again"
			o.log.Info("attempt abandoned before commit: requeued", "id", id)
		}
		it.Owner, it.Phase, it.Updated = "", PhaseNone, now
		return putItem(tx, it)
	})
	if err != nil {
		o.log.Warn("resolving an abandoned attempt failed", "id", id, "err", err)
	}
}

// prune deletes finished items older than Retain, their idempotency keys
// and message files.
func (o *Outbox) prune(ids []string) {
	ctx, cancel := storeCtx()
	defer cancel()
	var files []string
	err := o.cfg.Store.Update(ctx, func(tx store.Tx) error {
		files = files[:0]
		for _, id := range ids {
			it, err := getItem(tx, id)
			if err != nil {
				continue
			}
			if it.IdempotencyKey != "" {
				tx.Bucket(bucketKeys).Delete(indexKey(it.Account, it.IdempotencyKey))
			}
			tx.Bucket(bucketItems).Delete(id)
			files = append(files, it.RawFile)
		}
		return nil
	})
	if err != nil {
		o.log.Warn("pruning the outbox failed", "err", err)
		return
	}
	for _, f := range files {
		o.cfg.Bodies.Remove(f)
	}
}
