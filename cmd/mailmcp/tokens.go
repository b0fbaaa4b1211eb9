package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/store"
)

// sharedDB is the process's one PostgreSQL store per database URL: the
// state store and the OAuth tokens of a replica share its connection pool
// and its one schema check at open.
var sharedDB struct {
	mu  sync.Mutex
	dbs map[string]*store.Postgres
}

// postgres returns the process's store on url, opening it on first use.
func postgres(url string) (*store.Postgres, error) {
	sharedDB.mu.Lock()
	defer sharedDB.mu.Unlock()
	if p := sharedDB.dbs[url]; p != nil {
		return p, nil
	}
	p, err := store.OpenPostgres(context.Background(), url, store.PostgresOptions{})
	if err != nil {
		return nil, err
	}
	if sharedDB.dbs == nil {
		sharedDB.dbs = map[string]*store.Postgres{}
	}
	sharedDB.dbs[url] = p
	return p, nil
}

// closePostgres closes p and forgets it, so a later open starts afresh.
func closePostgres(p *store.Postgres) {
	sharedDB.mu.Lock()
	for url, q := range sharedDB.dbs {
		if q == p {
			delete(sharedDB.dbs, url)
		}
	}
	sharedDB.mu.Unlock()
	p.Close()
}

// openTokens opens where OAuth tokens live: files in the state directory,
// or, with state_backend = postgres, the shared database, so that replicas
// use one login per account and refresh it one at a time.
func openTokens(cfg *config.Config, log *slog.Logger) (*auth.TokenStore, error) {
	if cfg.StateBackend != config.StatePostgres {
		return auth.OpenTokenStore(cfg.StateDir, log)
	}
	p, err := postgres(cfg.PostgresURL)
	if err != nil {
		return nil, err
	}
	return auth.NewSharedTokenStore(p, log), nil
}
