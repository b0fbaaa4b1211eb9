package tools

import (
	"context"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// indexWrite keeps the account's local index in step with a change made
// through mailmcp, at once rather than at the next sync: messages moved or
// deleted leave the index, flag changes are applied, and a sync picks up
// the copies in their destination. removes says whether the operation took
// the messages out of their folder.
func indexWrite(ctx context.Context, d *Deps, p *imapconn.Pool, refs []imapconn.MessageRef, res *imapconn.BulkResult, removes bool, add, remove []string) {
	svc := d.Indexes[p.Account().ID]
	if svc == nil || res == nil {
		return
	}
	var done []imapconn.MessageRef
	for i, r := range res.Results {
		if r.OK && i < len(refs) {
			done = append(done, refs[i])
		}
	}
	if len(done) == 0 {
		return
	}
	switch {
	case removes:
		svc.Removed(ctx, done)
		svc.Kick()
	case len(add)+len(remove) > 0:
		svc.FlagsChanged(ctx, done, add, remove)
	default:
		svc.Kick()
	}
}
