// Package account is the one domain value for a configured mailbox. The
// binary builds an Account once from the validated configuration (and the
// engine's connection settings, which need the token store); every package
// then reads the view it needs from it: the engine its connection and
// submission settings (Engine), the tools their static description (Info),
// the watcher its target (WatchTarget), sending its policy (Policy). The
// derived values, ReadOnly above all, are computed here once, so no copy can
// disagree with another.
//
// It sits above the engine packages (imapconn, policy, watch) and below the
// tools, which alias Info as tools.AccountInfo.
package account

import (
	"fmt"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// Account is one mailbox the agent can use.
type Account struct {
	cfg      *config.Account
	engine   *imapconn.Account
	readOnly bool
	policy   policy.Policy
	caps     policy.Caps
}

// New builds the account a of cfg. engine is its connection settings and
// login; New sets engine.ReadOnly from the one read-only value.
func New(cfg *config.Config, a *config.Account, engine *imapconn.Account) (*Account, error) {
	mode, allow, err := a.SendRules()
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.ID, err)
	}
	perHour, perDay, newPerDay := a.SendCaps()
	acct := &Account{
		cfg:      a,
		engine:   engine,
		readOnly: cfg.AccountReadOnly(a),
		policy:   policy.Policy{Mode: mode, Allow: allow, KnownCorrespondents: a.AllowKnownCorrespondents},
		caps:     policy.Caps{PerHour: perHour, PerDay: perDay, NewRecipientsPerDay: newPerDay},
	}
	engine.ReadOnly = acct.readOnly
	return acct, nil
}

// ID is the account id.
func (a *Account) ID() string { return a.cfg.ID }

// Config is the validated configuration the account was built from.
func (a *Account) Config() *config.Account { return a.cfg }

// ReadOnly reports whether nothing may write to the account: read_only on
// the account, in the configuration, or --read-only.
func (a *Account) ReadOnly() bool { return a.readOnly }

// Engine is the IMAP pool's and the submitter's view: endpoints, TLS,
// login, connection bound, ReadOnly.
func (a *Account) Engine() *imapconn.Account { return a.engine }

// Policy is the send policy, parsed once by config.Load.
func (a *Account) Policy() policy.Policy { return a.policy }

// Caps are the sending caps with defaults applied.
func (a *Account) Caps() policy.Caps { return a.caps }

// WatchTarget is the watcher's view. always watches the account's folders
// continuously when the account enables watching (daemon mode).
func (a *Account) WatchTarget(always bool, opt watch.Options) watch.Target {
	opt.PollInterval = a.cfg.PollEvery()
	return watch.Target{Account: a.engine, Folders: a.cfg.WatchedFolders(), Always: always && a.cfg.Watch, Options: opt,
		IdleConnections: a.cfg.IdleConnections()}
}
