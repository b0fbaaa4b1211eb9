package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/lease"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/tools"
	"github.com/mailmcp/mailmcp/internal/watch"
	"github.com/mailmcp/mailmcp/internal/webhook"
)

// startWatching wires new-mail watching into a serve process: the change
// feed in the state store, the watcher hub behind watch_inbox and the
// mail:// resources, and the webhooks.
//
// continuous (serve --http, or stdio with --watch) starts an IDLE watcher
// on the folders of every account with watch = true and runs the webhook
// workers. Otherwise (a plain stdio process, one of possibly hundreds)
// nothing connects in the background: watch_inbox watches on demand for the
// length of a call. Every process queues webhook deliveries for the events
// it appends, so none is lost when a stdio process noticed the mail first;
// the daemon delivers them.
//
// The returned stop ends the workers and watchers, in that order.
func startWatching(cfg *config.Config, eng *engine, s *server.MCPServer, continuous bool, log *slog.Logger) (stop func()) {
	if len(cfg.Accounts) == 0 {
		return func() {}
	}
	st := eng.stateStore(log)
	if st == nil {
		return func() {}
	}
	feed := watch.NewFeed(st, watch.FeedOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var hooks []*webhook.Hook
	bodyChars := 0
	for _, wc := range cfg.Webhooks {
		c, err := webhook.FromConfig(ctx, wc)
		if err != nil {
			log.Error("webhook disabled", "webhook", wc.Name, "err", err)
			continue
		}
		if c.IncludeBody {
			bodyChars = max(bodyChars, c.BodyChars)
		}
		h := webhook.New(c, webhook.Options{}, log)
		h.Attach(feed)
		hooks = append(hooks, h)
	}
	var targets []watch.Target
	for _, a := range eng.accounts {
		targets = append(targets, a.WatchTarget(continuous, watch.Options{BodyChars: bodyChars, Log: log}))
	}
	if pg, ok := st.(*store.Postgres); ok {
		fanOut(ctx, &wg, pg, feed)
	}
	hopt := watch.HubOptions{Log: log}
	if continuous && cfg.StateBackend == config.StatePostgres {
		// A folder another replica holds the lease for is watched there:
		// watch_inbox here reads the shared feed, woken by NOTIFY.
		hopt.Elsewhere = func(account, folder string) bool {
			return eng.leases != nil && eng.leases.HeldElsewhere(leaseName(account, folder))
		}
	}
	hub := watch.NewHub(feed, targets, hopt)
	eng.deps.Watch = hub
	tools.RegisterResources(s, eng.deps)

	if continuous {
		if cfg.StateBackend == config.StatePostgres {
			// Replicas share the always-watched folders through leases,
			// so each is watched by one replica (the others' watch_inbox
			// calls read the shared feed).
			if m := leaseFolders(st, hub, targets, log); m != nil {
				eng.leases = m
				wg.Add(1)
				go func() { defer wg.Done(); m.Run(ctx) }()
			}
		} else {
			hub.Start()
		}
		for _, h := range hooks {
			wg.Add(1)
			go func() { defer wg.Done(); h.Run(ctx, st) }()
		}
		n := 0
		for _, t := range targets {
			if t.Always {
				n += len(t.Folders)
			}
		}
		log.Info("watching for new mail", "folders", n, "webhooks", len(hooks))
	}
	return func() {
		cancel()
		wg.Wait()
		hub.Close()
	}
}

// leaseFolders returns the lease manager that runs the always-watched
// folders of targets this replica holds leases for; its Run drains when
// its context ends, so the other replicas take the folders over at once.
func leaseFolders(st store.Store, hub *watch.Hub, targets []watch.Target, log *slog.Logger) *lease.Manager {
	host, _ := os.Hostname()
	var want []string
	for _, t := range targets {
		if t.Always {
			for _, f := range t.Folders {
				want = append(want, leaseName(t.Account.ID, f))
			}
		}
	}
	var mu sync.Mutex
	releases := map[string]func(){}
	m, err := lease.New(st, lease.Options{
		Holder: fmt.Sprintf("%s-%d-%x", host, os.Getpid(), rand.Uint64()), Log: log,
		OnGain: func(name string) {
			account, folder, _ := strings.Cut(name, leaseSep)
			_, release, err := hub.Acquire(account, folder)
			if err != nil {
				log.Warn("watching a leased folder", "account", account, "folder", folder, "err", err)
				return
			}
			mu.Lock()
			releases[name] = release
			mu.Unlock()
		},
		OnLose: func(name string) {
			mu.Lock()
			release := releases[name]
			delete(releases, name)
			mu.Unlock()
			if release != nil {
				release()
			}
		},
	})
	if err != nil {
		log.Error("folder leases unavailable: not watching", "err", err)
		return nil
	}
	m.Want(want)
	return m
}

// feedChannel is the PostgreSQL notification channel of feed appends.
const feedChannel = "mailmcp_feed"

// fanOut tells the other replicas of every append to the feed, and wakes
// this replica's waiters when another one appended, so a watch_inbox
// long-poll on any replica returns as soon as some replica saw the mail.
// The feed stays the source of truth: a lost notification costs only the
// feed's one-second recheck.
func fanOut(ctx context.Context, wg *sync.WaitGroup, pg *store.Postgres, feed *watch.Feed) {
	pending := make(chan struct{}, 1)
	feed.Listen(func([]watch.Event) {
		select {
		case pending <- struct{}{}:
		default: // one notification covers every append before it is sent
		}
	})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case <-pending:
				nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				_ = pg.Notify(nctx, feedChannel, "")
				cancel()
			}
		}
	}()
	go func() { defer wg.Done(); pg.Listen(ctx, feedChannel, func(string) { feed.Wake() }) }()
}

// leaseSep joins account and folder in a folder's lease name; neither can
// contain it.
const leaseSep = "\x00"

func leaseName(account, folder string) string { return account + leaseSep + folder }
