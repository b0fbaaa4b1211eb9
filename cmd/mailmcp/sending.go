package main

import (
	"context"
	"log/slog"
	"path/filepath"

	"github.com/mailmcp/mailmcp/internal/audit"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/metrics"
	"github.com/mailmcp/mailmcp/internal/outbox"
	"github.com/mailmcp/mailmcp/internal/policy"
)

// startSending opens the state store and the outbox in cfg.StateDir, gives
// the outbox, the send-policy ledger and confirmations, and the audit log to
// the tools, and starts the outbox worker. The returned stop (never
// nil) shuts the worker down; call it before closing the mail pools, which
// the outbox uses for Sent copies. Without writes, or when the store cannot
// be opened (logged), the send tools report that sending is unavailable.
func startSending(cfg *config.Config, eng *engine, log *slog.Logger) (stop func(context.Context)) {
	nop := func(context.Context) {}
	if eng.readOnly || len(cfg.Accounts) == 0 {
		return nop
	}
	st := eng.stateStore(log)
	if st == nil {
		return nop
	}
	saves := map[string]bool{}
	for _, a := range cfg.Accounts {
		saves[a.ID] = a.SavesSent()
	}
	obCfg := outbox.Config{
		Store: st, Dir: filepath.Join(cfg.StateDir, "outbox"), Log: log,
		Transport: &outbox.MailTransport{Mail: eng.mail, ProviderSavesSent: func(id string) bool { return saves[id] }},
		OnQueue: func(waiting map[string]int) {
			for id := range saves { // every account, so a drained queue reads 0
				metrics.SetOutboxQueue(id, waiting[id])
			}
		},
	}
	if cfg.StateBackend == config.StatePostgres {
		// Replicas on other machines take over this one's work: they need
		// its liveness and its messages from the shared database.
		obCfg.Owners, obCfg.Bodies = outbox.StoreOwners(st), outbox.StoreBodies(st)
	}
	ob, err := outbox.New(obCfg)
	if err != nil {
		log.Error("outbox unavailable: sending is disabled", "err", err)
		return nop
	}
	eng.deps.Outbox = ob
	eng.deps.Ledger = policy.NewLedger(st)
	eng.deps.Confirm = policy.NewConfirmations(st, 0)
	if al, err := audit.Open(cfg.StateDir, 0, 0); err != nil {
		log.Error("audit log unavailable", "err", err)
	} else {
		eng.deps.Audit = al
	}
	ob.Start()
	return func(ctx context.Context) {
		if err := ob.Close(ctx); err != nil {
			log.Warn("stopping the outbox", "err", err)
		}
	}
}
