package main

import (
	"context"
	"log/slog"
	"sync"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/store"
)

// sharedTokens is the process's one shared token store per database URL:
// every OAuth account of a replica uses the same small connection pool.
var sharedTokens struct {
	mu     sync.Mutex
	stores map[string]*auth.TokenStore
}

// openTokens opens where OAuth tokens live: files in the state directory,
// or, with state_backend = postgres, the shared database, so that replicas
// use one login per account and refresh it one at a time.
func openTokens(cfg *config.Config, log *slog.Logger) (*auth.TokenStore, error) {
	if cfg.StateBackend != config.StatePostgres {
		return auth.OpenTokenStore(cfg.StateDir, log)
	}
	sharedTokens.mu.Lock()
	defer sharedTokens.mu.Unlock()
	if s := sharedTokens.stores[cfg.PostgresURL]; s != nil {
		return s, nil
	}
	st, err := store.OpenPostgres(context.Background(), cfg.PostgresURL, store.PostgresOptions{MaxConns: 4})
	if err != nil {
		return nil, err
	}
	s := auth.NewSharedTokenStore(st, log)
	if sharedTokens.stores == nil {
		sharedTokens.stores = map[string]*auth.TokenStore{}
	}
	sharedTokens.stores[cfg.PostgresURL] = s
	return s, nil
}
