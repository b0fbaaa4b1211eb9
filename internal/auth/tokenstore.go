package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"
)

// Token is one account's saved OAuth login.
type Token struct {
	Account      string
	Provider     string
	ClientID     string // the client the refresh token belongs to
	TokenURL     string // where it refreshes (encodes the Microsoft tenant)
	AccessToken  Secret
	RefreshToken Secret
	TokenType    string
	Expiry       time.Time // zero: unknown
	Scopes       []string
	ObtainedAt   time.Time // first login
	LastRefresh  time.Time // zero: never refreshed
	Problems     []string  // last failures worth showing in `auth status`
}

// ValidFor reports whether the access token is still usable for at least d.
// A token with unknown expiry is considered valid until a server rejects it.
func (t *Token) ValidFor(d time.Duration, now time.Time) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	return t.Expiry.IsZero() || now.Add(d).Before(t.Expiry)
}

// tokenFile is the on-disk form. Secret marshals as "[redacted]", so the file
// uses plain strings; this type never leaves the package.
type tokenFile struct {
	Version      int       `json:"version"`
	Account      string    `json:"account"`
	Provider     string    `json:"provider,omitempty"`
	ClientID     string    `json:"client_id,omitempty"`
	TokenURL     string    `json:"token_url,omitempty"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	TokenType    string    `json:"token_type,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
	Scopes       []string  `json:"scopes,omitempty"`
	ObtainedAt   time.Time `json:"obtained_at,omitzero"`
	LastRefresh  time.Time `json:"last_refresh,omitzero"`
	Problems     []string  `json:"problems,omitempty"`
}

// TokenStore keeps one JSON file per account under <state>/tokens, mode 0600
// in a 0700 directory, replaced atomically. Every read-modify-write holds an
// exclusive flock on <account>.lock, so any number of mailmcp processes may
// share a state directory; an in-process mutex per account serialises
// goroutines before they reach the file lock.
type TokenStore struct {
	dir    string
	logger *slog.Logger
	// shared, when set, holds the tokens instead of dir: replicas on
	// several machines share one login per account (see shared.go).
	shared SharedState

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// OpenTokenStore creates (if needed) <stateDir>/tokens and returns its store.
// logger may be nil (slog.Default()).
func OpenTokenStore(stateDir string, logger *slog.Logger) (*TokenStore, error) {
	if stateDir == "" {
		return nil, errors.New("auth: open token store: no state directory")
	}
	dir := filepath.Join(stateDir, "tokens")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: open token store: %w", err)
	}
	// MkdirAll leaves an existing directory's mode alone; tighten it.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: open token store: %w", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &TokenStore{dir: dir, logger: logger.With("component", "auth"), locks: map[string]*sync.Mutex{}}, nil
}

// Dir returns the directory holding the token files.
func (s *TokenStore) Dir() string { return s.dir }

var accountRE = regexp.MustCompile(`^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,127}$`)

// ValidAccountName reports whether name can be used as a token file name.
func ValidAccountName(name string) error {
	if !accountRE.MatchString(name) {
		return fmt.Errorf("auth: account name %q must be 1-128 characters of letters, digits and . _ @ + - and not start with a dot", name)
	}
	return nil
}

// Path returns where account's token is kept: its file, or its record in
// the shared state database.
func (s *TokenStore) Path(account string) string {
	if s.shared != nil {
		return "the shared state database (" + bucketTokens + "/" + account + ")"
	}
	return filepath.Join(s.dir, account+".json")
}

func (s *TokenStore) localLock(account string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.locks[account]
	if m == nil {
		m = &sync.Mutex{}
		s.locks[account] = m
	}
	return m
}

// ErrNoToken: the account has no saved login. It matches ErrNeedsLogin too.
var ErrNoToken = fmt.Errorf("no saved login: %w", ErrNeedsLogin)

var errCorrupt = fmt.Errorf("is corrupt: %w", ErrNeedsLogin)

// Load reads account's token without locking (files are replaced atomically,
// so a reader never sees a partial one). A missing file is an error matching
// ErrNoToken and ErrNeedsLogin; a corrupt one matches ErrNeedsLogin only.
func (s *TokenStore) Load(account string) (*Token, error) {
	if err := ValidAccountName(account); err != nil {
		return nil, err
	}
	b, err := s.read(account)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("auth: %s: %w", account, ErrNoToken)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: read token: %w", err)
	}
	var f tokenFile
	if err := json.Unmarshal(b, &f); err != nil {
		// Never quote the content: it holds tokens.
		return nil, fmt.Errorf("auth: token file %s (%d bytes) %w; run `mailmcp auth login %s`", s.Path(account), len(b), errCorrupt, account)
	}
	return &Token{
		Account: f.Account, Provider: f.Provider, ClientID: f.ClientID, TokenURL: f.TokenURL,
		AccessToken: Secret(f.AccessToken), RefreshToken: Secret(f.RefreshToken),
		TokenType: f.TokenType, Expiry: f.Expiry, Scopes: f.Scopes,
		ObtainedAt: f.ObtainedAt, LastRefresh: f.LastRefresh, Problems: f.Problems,
	}, nil
}

// Update runs fn on account's current token (nil when there is none) while
// holding the in-process mutex and the cross-process file lock, and saves what
// fn returns. fn returning (nil, nil) deletes the token; (nil, err) leaves
// the file unchanged; (t, err) saves t (e.g. with a problem recorded) and
// still returns err. Waiting for the lock is bounded by ctx.
func (s *TokenStore) Update(ctx context.Context, account string, fn func(cur *Token) (*Token, error)) (*Token, error) {
	if err := ValidAccountName(account); err != nil {
		return nil, err
	}
	m := s.localLock(account)
	m.Lock()
	defer m.Unlock()
	unlock, err := s.lock(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("auth: lock token of %s: %w", account, err)
	}
	defer unlock()

	cur, err := s.Load(account)
	switch {
	case errors.Is(err, errCorrupt):
		// A new login or a logout must be able to replace it.
		s.logger.Warn("token file is corrupt; treating as no login", "account", account)
	case err != nil && !errors.Is(err, ErrNoToken):
		return nil, err
	}
	next, ferr := fn(cur)
	if ferr != nil {
		if next != nil {
			next.Account = account
			if err := s.write(next); err != nil {
				s.logger.Warn("could not record token problem", "account", account, "err", err)
			}
		}
		return nil, ferr
	}
	if next == nil {
		if err := s.remove(ctx, account); err != nil {
			return nil, fmt.Errorf("auth: delete token: %w", err)
		}
		return nil, nil
	}
	next.Account = account
	if err := s.write(next); err != nil {
		return nil, err
	}
	return next, nil
}

// Save stores t for t.Account under the locks.
func (s *TokenStore) Save(ctx context.Context, t *Token) error {
	_, err := s.Update(ctx, t.Account, func(*Token) (*Token, error) { return t, nil })
	return err
}

// Delete removes account's token under the locks.
func (s *TokenStore) Delete(ctx context.Context, account string) error {
	_, err := s.Update(ctx, account, func(*Token) (*Token, error) { return nil, nil })
	return err
}

// write replaces the token file atomically: temp file in the same
// directory, fsync, rename, fsync of the directory.
func (s *TokenStore) write(t *Token) error {
	f := tokenFile{
		Version: 1, Account: t.Account, Provider: t.Provider, ClientID: t.ClientID, TokenURL: t.TokenURL,
		AccessToken: t.AccessToken.Reveal(), RefreshToken: t.RefreshToken.Reveal(),
		TokenType: t.TokenType, Expiry: t.Expiry.UTC(), Scopes: t.Scopes,
		ObtainedAt: t.ObtainedAt.UTC(), LastRefresh: t.LastRefresh.UTC(), Problems: t.Problems,
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: encode token: %w", err)
	}
	b = append(b, '\n')
	if s.shared != nil {
		if err := s.writeShared(t.Account, b); err != nil {
			return err
		}
		s.logger.Debug("token saved", "account", t.Account, "expiry", t.Expiry, "has_refresh_token", t.RefreshToken != "")
		return nil
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := filepath.Join(s.dir, "."+t.Account+".tmp-"+hex.EncodeToString(rnd[:]))
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("auth: write token: %w", err)
	}
	_, werr := out.Write(b)
	if werr == nil {
		werr = out.Sync()
	}
	if cerr := out.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, s.Path(t.Account))
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("auth: write token: %w", werr)
	}
	syncDir(s.dir)
	s.logger.Debug("token saved", "account", t.Account, "expiry", t.Expiry, "has_refresh_token", t.RefreshToken != "")
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some filesystems refuse fsync on directories
		d.Close()
	}
}
