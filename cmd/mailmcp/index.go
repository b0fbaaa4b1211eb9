package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/internal/metrics"
	"github.com/mailmcp/mailmcp/internal/tools"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// startIndexing opens the local index of every account with index = true
// (see internal/index): the process that takes an index's write lock keeps
// it in sync in the background, every other process reads it. Changes the
// watcher reports reach the index at once. stop closes the indexes; it runs
// before the mail connections close. Backfills are announced to the MCP
// sessions of s that ask for info logging (tools.IndexProgress).
func startIndexing(eng *engine, s *server.MCPServer, log *slog.Logger) (stop func()) {
	var svcs []*index.Service
	var progress *tools.IndexProgress
	for _, a := range eng.accounts {
		c := a.Config()
		if !c.Index {
			continue
		}
		if progress == nil && s != nil {
			progress = tools.RegisterIndexProgress(s)
		}
		var report func(index.Progress)
		if progress != nil {
			report = progress.Report
		}
		pool, err := eng.mail.Pool(c.ID)
		if err != nil {
			log.Error("index disabled", "account", c.ID, "err", err)
			continue
		}
		svc := index.Start(c.IndexPath(eng.cfg.StateDir), pool, index.SyncOptions{Folders: c.IndexFolders, MaxBytes: c.IndexMaxBytes, Progress: report, Log: log})
		svcs = append(svcs, svc)
		if eng.deps.Indexes == nil {
			eng.deps.Indexes = map[string]*index.Service{}
		}
		eng.deps.Indexes[c.ID] = svc
	}
	if hub := eng.deps.Watch; hub != nil && len(svcs) > 0 {
		hub.Feed().Listen(func(evs []watch.Event) { indexEvents(eng.deps.Indexes, evs) })
	}
	if len(svcs) > 0 {
		metrics.SetIndexSource(func() map[string]metrics.IndexStats { return indexStats(svcs) })
	}
	return func() {
		metrics.SetIndexSource(nil)
		for _, s := range svcs {
			if err := s.Close(); err != nil {
				log.Warn("closing the index", "account", s.Account(), "err", err)
			}
		}
	}
}

// indexEvents applies watcher events to the indexes. It runs inside the
// feed's append (it must not block): database writes happen on their own.
func indexEvents(svcs map[string]*index.Service, evs []watch.Event) {
	for _, ev := range evs {
		svc := svcs[ev.Account]
		if svc == nil {
			continue
		}
		ref := imapconn.MessageRef{Account: ev.Account, Folder: ev.Folder, UIDValidity: ev.UIDValidity, UID: imap.UID(ev.UID)}
		switch ev.Kind {
		case watch.KindMessage:
			svc.NewMail(ev.Folder)
		case watch.KindFlags:
			flags := ev.Flags
			go svc.SetFlags(context.Background(), ref, flags)
		case watch.KindExpunged:
			go svc.Removed(context.Background(), []imapconn.MessageRef{ref})
		case watch.KindReset:
			svc.Kick()
		}
	}
}

func indexStats(svcs []*index.Service) map[string]metrics.IndexStats {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out := map[string]metrics.IndexStats{}
	for _, s := range svcs {
		r := s.Report(ctx)
		st := metrics.IndexStats{Bytes: r.SizeBytes, Messages: r.Indexed, LagSeconds: -1}
		if !r.SyncedAt.IsZero() {
			st.LagSeconds = time.Since(r.SyncedAt).Seconds()
		}
		out[s.Account()] = st
	}
	return out
}
