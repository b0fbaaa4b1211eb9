package imapconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Manager owns one pool per account.
type Manager struct {
	order []string
	pools map[string]*Pool
}

// NewManager builds pools for accts; nothing connects yet.
func NewManager(accts []*Account, log *slog.Logger) *Manager {
	m := &Manager{pools: map[string]*Pool{}}
	for _, a := range accts {
		m.order = append(m.order, a.ID)
		m.pools[a.ID] = NewPool(a, log)
	}
	return m
}

// IDs lists the account ids in configuration order.
func (m *Manager) IDs() []string { return append([]string(nil), m.order...) }

// Pool returns the pool of account id, or an error the agent can act on.
func (m *Manager) Pool(id string) (*Pool, error) {
	if p, ok := m.pools[id]; ok {
		return p, nil
	}
	if len(m.order) == 0 {
		return nil, &fault.Error{Kind: fault.Invalid, Op: "account", Err: errors.New("no mail account is configured"),
			Hint: "Ask the user to add an account to the mailmcp config (see `mailmcp config check`)"}
	}
	return nil, &fault.Error{Kind: fault.Invalid, Op: "account", Err: fmt.Errorf("unknown account %q", id),
		Hint: "Valid accounts: " + strings.Join(m.order, ", ") + " (call list_accounts)"}
}

// Default returns the only account's id when there is exactly one.
func (m *Manager) Default() (string, bool) {
	if len(m.order) == 1 {
		return m.order[0], true
	}
	return "", false
}

// Close shuts every pool down (in parallel, bounded by ctx).
func (m *Manager) Close(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(m.order))
	for i, id := range m.order {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = m.pools[id].Close(ctx) }()
	}
	wg.Wait()
	return errors.Join(errs...)
}
