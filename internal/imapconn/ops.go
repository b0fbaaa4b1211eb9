package imapconn

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Bulk limits: a call takes at most MaxBulk ids; the engine sends one IMAP
// command per batch of up to DefaultBatch UIDs of one folder (a UID set, not
// one command per id), and checks for cancellation between batches.
const (
	MaxBulk      = 500
	DefaultBatch = 100
)

// BulkOptions tune a bulk operation.
type BulkOptions struct {
	// BatchSize is the most UIDs per IMAP command (DefaultBatch when 0).
	BatchSize int
	// Progress, when set, is called after every batch with the number of
	// ids settled so far and the total.
	Progress func(done, total int)
}

// ItemResult is the outcome for one message id.
type ItemResult struct {
	ID string `json:"id"`
	OK bool   `json:"ok"`
	// NewID is the message's id in the destination folder, when the server
	// reported it (COPYUID, RFC 4315).
	NewID string `json:"new_id,omitempty"`
	Error string `json:"error,omitempty"`
	// Unknown: the connection dropped after the command was sent, so the
	// outcome is not known.
	Unknown bool   `json:"unknown,omitempty"`
	Note    string `json:"note,omitempty"`
}

// BulkResult holds per-id outcomes (Results[i] is about refs[i]) and their
// counts.
type BulkResult struct {
	Results      []ItemResult `json:"results"`
	Succeeded    int          `json:"succeeded"`
	Failed       int          `json:"failed"`
	Unknown      int          `json:"unknown"`
	NotAttempted int          `json:"not_attempted"`
	// Stopped says why the call ended before every id was tried.
	Stopped string `json:"stopped,omitempty"`
}

// Texts of per-id outcomes that callers may match on.
const (
	UnknownOutcome = "unknown: the connection dropped; search the destination to check"
	NotAttempted   = "not attempted: the call was cancelled before this batch"
)

// batch is the work handed to a bulk operation's step: UIDs of one folder
// that exist there, with the selected connection.
type batch struct {
	folder string
	uids   []imap.UID
	// Filled by the step.
	sent    bool                  // a mutating command went on the wire
	answer  *imap.Error           // the server's NO/BAD, when it gave one
	newUIDs map[imap.UID]imap.UID // destination UIDs from COPYUID
	destUV  uint32                // destination UIDVALIDITY from COPYUID
	partial string                // what is known when a later step failed
	results map[imap.UID]ItemResult
}

func (b *batch) set(uid imap.UID, r ItemResult) {
	if b.results == nil {
		b.results = map[imap.UID]ItemResult{}
	}
	b.results[uid] = r
}

// bulkOp describes one bulk operation for runBulk.
type bulkOp struct {
	name string
	// dest is the destination folder for new ids ("" for none).
	dest string
	// check runs on the first connection before any work; an error ends
	// the call (a missing capability, for instance).
	check func(c *Conn) error
	// skip settles refs without talking to the server (already there).
	skip func(ref MessageRef) (ItemResult, bool)
	// step does the work for one batch.
	step func(ctx context.Context, c *Conn, b *batch) error
}

type group struct {
	folder string
	uv     uint32
	uids   []imap.UID // unique, in first-seen order
}

// writable refuses writes on a read-only account and ids of another one.
func (p *Pool) writable(op string, refs []MessageRef) error {
	if p.acct.ReadOnly {
		return &fault.Error{Kind: fault.ReadOnly, Op: op, Err: fmt.Errorf("%s: account %q is read-only", op, p.acct.ID),
			Hint: "The user configured this account as read-only; mailmcp will not change it"}
	}
	for _, r := range refs {
		if r.Account != p.acct.ID {
			return &fault.Error{Kind: fault.Invalid, Op: op, Err: fmt.Errorf("%s: id of account %q used on account %q", op, r.Account, p.acct.ID),
				Hint: "Pass ids of one account per call"}
		}
	}
	return nil
}

// runBulk validates refs, groups them by folder and UIDVALIDITY, and runs
// op.step batch by batch. Each batch is a non-idempotent pool operation: it
// is retried only when the connection dropped before anything was sent.
func (p *Pool) runBulk(ctx context.Context, refs []MessageRef, op bulkOp, opt BulkOptions) (*BulkResult, error) {
	if len(refs) == 0 {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op.name, Err: fmt.Errorf("%s: no message ids given", op.name), Hint: "Pass ids from search"}
	}
	if len(refs) > MaxBulk {
		return nil, &fault.Error{Kind: fault.Invalid, Op: op.name, Err: fmt.Errorf("%s: %d ids given; at most %d per call", op.name, len(refs), MaxBulk),
			Hint: fmt.Sprintf("Split the ids into calls of up to %d", MaxBulk)}
	}
	if err := p.writable(op.name, refs); err != nil {
		return nil, err
	}
	size := opt.BatchSize
	if size <= 0 {
		size = DefaultBatch
	}
	res := &BulkResult{Results: make([]ItemResult, len(refs))}
	// Where each (folder, validity, uid) lands in Results.
	type key struct {
		folder string
		uv     uint32
		uid    imap.UID
	}
	at := map[key][]int{}
	type groupKey struct {
		folder string
		uv     uint32
	}
	var groups []*group
	byFolder := map[groupKey]*group{}
	settled := 0
	for i, r := range refs {
		res.Results[i].ID = r.ID()
		if op.skip != nil {
			if ir, ok := op.skip(r); ok {
				ir.ID = r.ID()
				res.Results[i] = ir
				settled++
				continue
			}
		}
		k := key{r.Folder, r.UIDValidity, r.UID}
		if _, dup := at[k]; !dup {
			gk := groupKey{r.Folder, r.UIDValidity}
			g := byFolder[gk]
			if g == nil {
				g = &group{folder: r.Folder, uv: r.UIDValidity}
				byFolder[gk] = g
				groups = append(groups, g)
			}
			g.uids = append(g.uids, r.UID)
		}
		at[k] = append(at[k], i)
	}
	settle := func(g *group, uid imap.UID, r ItemResult) {
		for _, i := range at[key{g.folder, g.uv, uid}] {
			r.ID = res.Results[i].ID
			res.Results[i] = r
			settled++
		}
	}
	report := func() {
		if opt.Progress != nil {
			opt.Progress(settled, len(refs))
		}
	}
	checked := op.check == nil
	stopped := false
	for _, g := range groups {
		stale := false
		for start := 0; start < len(g.uids); start += size {
			chunk := g.uids[start:min(start+size, len(g.uids))]
			if stopped || stale {
				continue
			}
			if err := ctx.Err(); err != nil {
				stopped = true
				res.Stopped = "cancelled: " + err.Error()
				continue
			}
			b, err := p.runBatch(ctx, op, g, chunk, &checked)
			var me *fault.Error
			switch {
			case err != nil && errors.As(err, &me) && me.Kind == fault.Unsupported && settled == 0:
				return nil, err
			case err != nil && settled == 0 && !b.sent && (fault.IsRetryable(err) || fault.KindOf(err) == fault.Auth):
				// Nothing was sent and nothing settled: the account cannot
				// be reached or logged in to, the same cause for every id.
				// The call fails with it instead of a list of per-id copies.
				if fault.KindOf(err) == fault.Unavailable {
					return nil, &fault.Error{Kind: fault.Unavailable, Op: op.name, Err: fmt.Errorf("server unreachable, nothing was changed: %w", err),
						Hint: "Try again once the mail server is reachable"}
				}
				return nil, err
			case err != nil && fault.KindOf(err) == fault.Stale:
				stale = true
				for _, uid := range g.uids[start:] {
					settle(g, uid, ItemResult{Error: err.Error()})
				}
				continue
			}
			for _, uid := range chunk {
				if r, ok := b.results[uid]; ok {
					settle(g, uid, r)
					continue
				}
				settle(g, uid, outcome(op, g, uid, b, err, p.acct.ID))
			}
			report()
		}
	}
	for i := range res.Results {
		r := &res.Results[i]
		switch {
		case r.OK:
			res.Succeeded++
		case r.Unknown:
			res.Unknown++
		case r.Error == "":
			r.Error = NotAttempted
			res.NotAttempted++
		default:
			res.Failed++
		}
	}
	return res, nil
}

// outcome is the result for uid after its batch ended with err.
func outcome(op bulkOp, g *group, uid imap.UID, b *batch, err error, account string) ItemResult {
	if err == nil {
		r := ItemResult{OK: true}
		if nu, ok := b.newUIDs[uid]; ok && op.dest != "" {
			r.NewID = MessageRef{Account: account, Folder: op.dest, UIDValidity: b.destUV, UID: nu}.ID()
		}
		return r
	}
	if b.sent && b.answer == nil {
		// The command left, no answer came back: it may or may not have
		// been carried out. Never report success or failure here.
		r := ItemResult{Unknown: true, Error: UnknownOutcome}
		if b.partial != "" {
			r.Note = b.partial
		}
		return r
	}
	msg := err.Error()
	if b.partial != "" {
		msg = b.partial + "; then " + msg
	}
	return ItemResult{Error: msg}
}

// runBatch runs one batch; when the connection dropped before any
// mutating command was sent, it tries once more on a fresh connection.
func (p *Pool) runBatch(ctx context.Context, op bulkOp, g *group, uids []imap.UID, checked *bool) (*batch, error) {
	// Finish the batch in flight even when the caller cancels (cancellation
	// is honoured between batches), but keep the caller's deadline.
	bctx := context.WithoutCancel(ctx)
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		bctx, cancel = context.WithDeadline(bctx, dl)
		defer cancel()
	} else {
		var cancel context.CancelFunc
		bctx, cancel = context.WithTimeout(bctx, p.acct.CommandTimeout)
		defer cancel()
	}
	var b *batch
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		b = &batch{folder: g.folder}
		err = p.Do(bctx, Op{Name: op.name, Folder: g.folder, Idempotent: false}, func(ctx context.Context, c *Conn) error {
			if !*checked {
				if err := op.check(c); err != nil {
					return err
				}
				*checked = true
			}
			if err := (MessageRef{Folder: g.folder, UIDValidity: g.uv}).checkValidity(c); err != nil {
				return err
			}
			exist, err := existing(c, uids)
			if err != nil {
				return err
			}
			for _, uid := range uids {
				if !exist.Contains(uid) {
					b.set(uid, ItemResult{Error: fmt.Sprintf("message no longer exists in folder %q (moved or deleted); search again", g.folder)})
				}
			}
			b.uids = slices.DeleteFunc(slices.Clone(uids), func(u imap.UID) bool { return !exist.Contains(u) })
			if len(b.uids) == 0 {
				return nil
			}
			return op.step(ctx, c, b)
		})
		if err == nil || b.sent || fault.KindOf(err) != fault.ConnLost || bctx.Err() != nil {
			break
		}
		p.count(func(s *Stats) { s.Retries++ })
		p.log.Info("connection dropped before the command was sent; retrying the batch", "op", op.name)
	}
	return b, err
}

// existing returns which of uids are still in the selected folder (one UID
// SEARCH; a UID STORE or EXPUNGE of a missing UID succeeds silently, which
// would hide a stale id).
func existing(c *Conn, uids []imap.UID) (imap.UIDSet, error) {
	found, err := c.uidSearch(&imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(uids...)}})
	if err != nil {
		return nil, err
	}
	return imap.UIDSetNum(found...), nil
}

// uidSearch runs UID SEARCH in the selected folder, as ESEARCH RETURN (ALL)
// when the server offers it (a compact UID set instead of every number).
func (c *Conn) uidSearch(sc *imap.SearchCriteria) ([]imap.UID, error) {
	opts := &imap.SearchOptions{}
	if c.Has(imap.CapESearch) {
		opts.ReturnAll = true
	}
	data, err := c.c.UIDSearch(sc, opts).Wait()
	if err != nil {
		return nil, err
	}
	return data.AllUIDs(), nil
}

// copyUIDs maps source to destination UIDs from a COPYUID response; the two
// sets list UIDs in the same order (RFC 4315 section 3).
func copyUIDs(src, dst imap.NumSet) map[imap.UID]imap.UID {
	s, ok1 := src.(imap.UIDSet)
	d, ok2 := dst.(imap.UIDSet)
	if !ok1 || !ok2 {
		return nil
	}
	sl, ok1 := s.Nums()
	dl, ok2 := d.Nums()
	if !ok1 || !ok2 || len(sl) != len(dl) {
		return nil
	}
	m := make(map[imap.UID]imap.UID, len(sl))
	for i := range sl {
		m[sl[i]] = dl[i]
	}
	return m
}

// answered records the server's NO/BAD so the outcome counts as known.
func (b *batch) answered(err error) error {
	var ie *imap.Error
	if errors.As(err, &ie) {
		b.answer = ie
	}
	return err
}
