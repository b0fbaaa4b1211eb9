package popstore

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mailmcp/mailmcp/internal/pop3"
)

// Syncer downloads what the server has and the store lacks.
type Syncer struct {
	Store *Store
	// Dial opens a logged-in session.
	Dial func(ctx context.Context) (*pop3.Client, error)
	// DeleteAfter, when positive, deletes from the server the messages
	// stored locally at least this long ago (pop3_delete_after_days).
	// Zero leaves mail on the server, the default.
	DeleteAfter time.Duration
	Log         *slog.Logger
	now         func() time.Time
}

// Result says what one Sync did.
type Result struct {
	OnServer, Downloaded, Deleted int
}

// Sync downloads every message the store lacks, in the server's order,
// each stored durably before the next is fetched; then, with DeleteAfter,
// marks for deletion the server copies stored long enough ago and commits
// with QUIT. A dropped connection leaves what was stored; the next Sync
// carries on from there, fetching nothing twice. A message is deleted from
// the server only when its local copy exists, so nothing is ever deleted
// that is not safely here.
func (s *Syncer) Sync(ctx context.Context) (Result, error) {
	var res Result
	now := time.Now
	if s.now != nil {
		now = s.now
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c, err := s.Dial(ctx)
	if err != nil {
		return res, err
	}
	defer c.Close()
	ids, err := c.UIDL(ctx)
	if err != nil {
		return res, fmt.Errorf("list the server's messages: %w", err)
	}
	res.OnServer = len(ids)
	// One directory listing says what is here and since when, rather
	// than a stat per message of the server's list every poll.
	items, err := s.Store.List()
	if err != nil {
		return res, err
	}
	stored := make(map[string]time.Time, len(items))
	for _, it := range items {
		stored[it.UIDL] = it.Stored
	}
	for _, e := range ids {
		if _, ok := stored[e.UIDL]; ok {
			continue
		}
		raw, err := c.Retr(ctx, e.N)
		if err != nil {
			return res, fmt.Errorf("download message %d (%s): %w", e.N, e.UIDL, err)
		}
		if err := s.Store.Put(e.UIDL, raw); err != nil {
			return res, err
		}
		res.Downloaded++
	}
	if s.DeleteAfter > 0 {
		// What this sync downloaded is not in stored: never old enough.
		for _, e := range ids {
			at, ok := stored[e.UIDL]
			if !ok || now().Sub(at) < s.DeleteAfter {
				continue
			}
			if err := c.Dele(ctx, e.N); err != nil {
				return res, fmt.Errorf("delete message %d from the server: %w", e.N, err)
			}
			res.Deleted++
		}
	}
	// QUIT commits the deletions; without any, it is a polite goodbye.
	if err := c.Quit(ctx); err != nil && res.Deleted > 0 {
		return res, fmt.Errorf("commit deletions (QUIT): %w", err)
	}
	if res.Downloaded > 0 || res.Deleted > 0 {
		log.Info("pop3 sync", "on_server", res.OnServer, "downloaded", res.Downloaded, "deleted", res.Deleted)
	}
	return res, nil
}
