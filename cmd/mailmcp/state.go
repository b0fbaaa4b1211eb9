package main

import (
	"log/slog"

	"github.com/mailmcp/mailmcp/internal/config"

	"github.com/mailmcp/mailmcp/internal/store"
)

// stateStore returns the process's one handle on the state store in
// cfg.StateDir, opening it on first use; nil when it cannot be opened (the
// reason is logged once). Sending and watching share it, so their
// transactions queue on one in-process mutex instead of on the file lock.
func (e *engine) stateStore(log *slog.Logger) store.Store {
	e.stateOnce.Do(func() {
		st, err := openState(e.cfg)
		if err != nil {
			log.Error("state store unavailable: sending, watch_inbox and webhooks are disabled", "err", err)
			return
		}
		e.state = st
	})
	if e.state == nil {
		return nil
	}
	return e.state
}

// closeState closes the state store after everything using it stopped.
func (e *engine) closeState() {
	if p, ok := e.state.(*store.Postgres); ok {
		closePostgres(p)
	} else if e.state != nil {
		e.state.Close()
	}
}

// openState opens the configured backend: the bbolt file in the state
// directory, or the PostgreSQL database replicas share.
func openState(cfg *config.Config) (store.Store, error) {
	if cfg.StateBackend == config.StatePostgres {
		return postgres(cfg.PostgresURL)
	}
	return store.Open(cfg.StateDir, store.Options{})
}
