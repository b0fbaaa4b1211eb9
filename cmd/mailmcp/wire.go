package main

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/mailmcp/mailmcp/internal/account"
	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/lease"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/tools"
)

// engine is everything built from a config: pools and tool dependencies.
type engine struct {
	cfg *config.Config
	// accounts are the domain accounts, in configuration order.
	accounts []*account.Account
	mail     *imapconn.Manager
	deps     *tools.Deps
	// readOnly is true when write tools must not be registered.
	readOnly bool
	// noSending is true when every account's send_policy is disabled.
	noSending bool
	// toolsets are the groups of tools offered (nil: all).
	toolsets []tools.Toolset

	stateOnce sync.Once
	state     store.Store
	// leases are the watched folders this replica holds (postgres
	// backend, continuous serve only; nil otherwise).
	leases *lease.Manager
}

// buildEngine turns the configuration into pools. It opens no connection.
// Each account is built once (package account) and every consumer reads
// its view of it.
func buildEngine(cfg *config.Config, log *slog.Logger, readOnly bool) (*engine, error) {
	// --read-only folds into the config's read_only, so that every view of
	// an account reads the one value cfg.AccountReadOnly.
	if readOnly {
		cfg.ReadOnly = true
	}
	toolsets, err := tools.ParseToolsets(strings.Join(cfg.Toolsets, ","))
	if err != nil {
		return nil, fmt.Errorf("toolsets: %w", err)
	}
	deps := &tools.Deps{Log: log}
	var accts []*account.Account
	var engines []*imapconn.Account
	noSending := true
	for i := range cfg.Accounts {
		a := &cfg.Accounts[i]
		ma, err := engineAccount(cfg, a, log)
		if err != nil {
			return nil, err
		}
		acct, err := account.New(cfg, a, ma)
		if err != nil {
			return nil, err
		}
		if acct.Policy().Mode != policy.Disabled {
			noSending = false
		}
		accts = append(accts, acct)
		engines = append(engines, acct.Engine())
		deps.Accounts = append(deps.Accounts, acct.Info())
	}
	m := imapconn.NewManager(engines, log)
	deps.Mail = m
	return &engine{cfg: cfg, accounts: accts, mail: m, deps: deps, readOnly: cfg.ReadOnly, noSending: noSending, toolsets: toolsets}, nil
}

func engineAccount(cfg *config.Config, a *config.Account, log *slog.Logger) (*imapconn.Account, error) {
	tlsCfg, err := imapconn.TLSConfig(a.IMAP.Host, a.CAFile)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", a.ID, err)
	}
	ma := &imapconn.Account{
		ID: a.ID, Email: a.Email, Provider: string(a.Provider), TLS: tlsCfg,
		IMAP:     endpoint(a.IMAP),
		SMTP:     endpoint(a.SMTP),
		MaxConns: a.MaxConnections, ReadOnly: cfg.AccountReadOnly(a),
	}
	switch a.Auth {
	case config.AuthOAuth2:
		store, err := openTokens(cfg, log)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		oc, err := oauthConfig(a)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		ts, err := auth.NewTokenSource(oc, store, a.ID, 0)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.ID, err)
		}
		ma.Auth = &auth.OAuthLogin{Username: a.Login(), Provider: authProvider(a.Provider), Host: a.IMAP.Host, Port: a.IMAP.Port, Tokens: ts}
	default:
		ma.Auth = &auth.PasswordLogin{Username: a.Login(), Source: passwordSource(a), Mechanism: a.AuthMechanism}
	}
	return ma, nil
}

func endpoint(s config.Server) imapconn.Endpoint {
	return imapconn.Endpoint{Host: s.Host, Port: s.Port, TLS: string(s.TLS)}
}

func passwordSource(a *config.Account) auth.SecretSource {
	return auth.SecretSource{Env: a.PasswordEnv, File: a.PasswordFile, Command: a.PasswordCommand}
}
