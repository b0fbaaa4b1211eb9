package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// DefaultRefreshSkew is how long before expiry a token is refreshed.
const DefaultRefreshSkew = 5 * time.Minute

// maxProblems bounds the problem list kept in a token file.
const maxProblems = 5

// TokenSource hands out a valid access token for one account, refreshing it
// through the store so that every process sharing the state directory sees
// (and persists) each new token — including a rotated refresh token, which
// x/oauth2 would otherwise drop silently.
//
// Refresh protocol: under the account's file lock, re-read the file; if
// another process refreshed meanwhile, use its token; otherwise refresh and
// write. A refresh therefore happens at most once per expiry across all
// processes.
type TokenSource struct {
	cfg     OAuthConfig
	store   *TokenStore
	account string
	skew    time.Duration
	now     func() time.Time
	logger  *slog.Logger

	mu     sync.Mutex
	cached *Token
}

// NewTokenSource returns the source for account. cfg is resolved (presets
// applied) here; skew <= 0 means DefaultRefreshSkew.
func NewTokenSource(cfg OAuthConfig, store *TokenStore, account string, skew time.Duration) (*TokenSource, error) {
	c, err := cfg.Resolve()
	if err != nil {
		return nil, err
	}
	if err := ValidAccountName(account); err != nil {
		return nil, err
	}
	if skew <= 0 {
		skew = DefaultRefreshSkew
	}
	return &TokenSource{cfg: c, store: store, account: account, skew: skew, now: time.Now,
		logger: store.logger.With("account", account)}, nil
}

// AccessToken returns a token valid for at least the skew, refreshing if
// needed. Errors match ErrNeedsLogin when the user must log in again.
func (ts *TokenSource) AccessToken(ctx context.Context) (Secret, error) {
	return ts.get(ctx, "")
}

// Refresh is for when a server rejected rejected (the token AccessToken gave
// out) although it looked valid: it refreshes unless another goroutine or
// process already replaced that token, and returns the current one.
func (ts *TokenSource) Refresh(ctx context.Context, rejected Secret) (Secret, error) {
	return ts.get(ctx, rejected)
}

// Token returns the whole saved token after making sure it is fresh.
func (ts *TokenSource) Token(ctx context.Context) (*Token, error) {
	if _, err := ts.get(ctx, ""); err != nil {
		return nil, err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t := *ts.cached
	return &t, nil
}

func (ts *TokenSource) usable(t *Token, rejected Secret) bool {
	return t != nil && t.ValidFor(ts.skew, ts.now()) && (rejected == "" || t.AccessToken != rejected)
}

func (ts *TokenSource) get(ctx context.Context, rejected Secret) (Secret, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.usable(ts.cached, rejected) {
		return ts.cached.AccessToken, nil
	}
	// Another process may have refreshed: a lock-free read is cheap and
	// safe because the file is replaced atomically.
	if t, err := ts.store.Load(ts.account); err == nil && ts.usable(t, rejected) {
		ts.cached = t
		return t.AccessToken, nil
	}
	var refreshed, rotated bool
	t, err := ts.store.Update(ctx, ts.account, func(cur *Token) (*Token, error) {
		if cur == nil {
			return nil, fmt.Errorf("auth: no saved login for %s: %w", ts.account, ErrNeedsLogin)
		}
		if ts.usable(cur, rejected) {
			return cur, nil // someone else refreshed while we waited
		}
		next, rerr := ts.refresh(ctx, cur)
		if rerr != nil {
			if !errors.Is(rerr, ErrNeedsLogin) && !errors.Is(rerr, ErrProviderConfig) && !errors.Is(rerr, ErrClockSkew) {
				return nil, rerr // network trouble: keep the file as it is
			}
			// Record the failure so `auth status` can show it, keep the
			// token so a fixed config can still be retried.
			failed := *cur
			failed.Problems = addProblem(cur.Problems, ts.now(), Explain(rerr, ts.cfg.Provider, ts.account))
			return &failed, rerr
		}
		refreshed, rotated = true, next.RefreshToken != cur.RefreshToken
		return next, nil
	})
	if err != nil {
		ts.logger.Warn("access token refresh failed", "err", err)
		return "", err
	}
	if refreshed {
		ts.logger.Info("access token refreshed", "expiry", t.Expiry, "refresh_token_rotated", rotated)
	}
	ts.cached = t
	return t.AccessToken, nil
}

func addProblem(list []string, now time.Time, p string) []string {
	list = append(append([]string(nil), list...), now.UTC().Format(time.RFC3339)+" "+p)
	if len(list) > maxProblems {
		list = list[len(list)-maxProblems:]
	}
	return list
}

// refresh runs the refresh_token grant for cur and returns the token to save.
func (ts *TokenSource) refresh(ctx context.Context, cur *Token) (*Token, error) {
	if cur.RefreshToken == "" {
		return nil, fmt.Errorf("auth: access token of %s expired and there is no refresh token: %w", ts.account, ErrNeedsLogin)
	}
	if cur.ClientID != "" && cur.ClientID != ts.cfg.ClientID {
		return nil, fmt.Errorf("auth: the OAuth client_id changed since %s logged in: %w", ts.account, ErrNeedsLogin)
	}
	if cur.TokenURL != "" && !strings.EqualFold(cur.TokenURL, ts.cfg.TokenURL) {
		return nil, fmt.Errorf("auth: the token URL (tenant) changed since %s logged in: %w", ts.account, ErrNeedsLogin)
	}
	oc := ts.cfg.oauth2Config("")
	// An expired token with only the refresh token set makes x/oauth2 run
	// exactly one refresh_token grant (no retries with AuthStyleInParams).
	src := oc.TokenSource(ts.cfg.withClient(ctx), &oauth2.Token{RefreshToken: cur.RefreshToken.Reveal()})
	ot, err := src.Token()
	if err != nil {
		return nil, oauthErr("refresh token", err)
	}
	now := ts.now()
	next := *cur
	next.AccessToken = Secret(ot.AccessToken)
	next.TokenType = ot.TokenType
	next.Expiry = ot.Expiry
	// x/oauth2 copies the old refresh token in when none came back; a new
	// one means the provider rotated it and the old one is dead.
	next.RefreshToken = Secret(ot.RefreshToken)
	if s, ok := ot.Extra("scope").(string); ok && s != "" {
		next.Scopes = strings.Fields(s)
	}
	next.LastRefresh = now
	next.Problems = nil
	next.ClientID = ts.cfg.ClientID
	next.TokenURL = ts.cfg.TokenURL
	return &next, nil
}
