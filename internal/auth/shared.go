package auth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mailmcp/mailmcp/internal/filelock"
	"github.com/mailmcp/mailmcp/internal/store"
)

// SharedState is a state store that replicas share, with a lock that
// holds across them (store.Postgres: an advisory lock).
type SharedState interface {
	store.Store
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// bucketTokens holds the tokens of a shared token store: account → the
// same JSON document the token files hold. Like the files (mode 0600), the
// rows are as private as the database: whoever can read the state database
// can use the mailboxes.
const bucketTokens = "auth.tokens"

// NewSharedTokenStore keeps tokens in st instead of files, so every
// replica uses one login per account and a refresh by one is seen by all.
// Read-modify-writes (refreshes included) hold st's cross-replica lock for
// the account, so only one replica refreshes at a time: providers that
// rotate refresh tokens (Microsoft) would otherwise invalidate the others'.
func NewSharedTokenStore(st SharedState, logger *slog.Logger) *TokenStore {
	if logger == nil {
		logger = slog.Default()
	}
	return &TokenStore{shared: st, logger: logger.With("component", "auth"), locks: map[string]*sync.Mutex{}}
}

func (s *TokenStore) read(account string) ([]byte, error) {
	if s.shared == nil {
		return os.ReadFile(filepath.Join(s.dir, account+".json"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var b []byte
	if err := s.shared.View(ctx, func(tx store.Tx) error {
		b = tx.Bucket(bucketTokens).Get(account)
		return nil
	}); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fs.ErrNotExist
	}
	return b, nil
}

func (s *TokenStore) lock(ctx context.Context, account string) (func(), error) {
	if s.shared == nil {
		lk, err := filelock.Wait(ctx, filepath.Join(s.dir, account+".lock"))
		if err != nil {
			return nil, err
		}
		return lk.Unlock, nil
	}
	return s.shared.Lock(ctx, bucketTokens+"/"+account)
}

func (s *TokenStore) writeShared(account string, b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.shared.Update(ctx, func(tx store.Tx) error { return tx.Bucket(bucketTokens).Put(account, b) }); err != nil {
		return fmt.Errorf("auth: write token: %w", err)
	}
	return nil
}

func (s *TokenStore) remove(ctx context.Context, account string) error {
	if s.shared != nil {
		return s.shared.Update(ctx, func(tx store.Tx) error { return tx.Bucket(bucketTokens).Delete(account) })
	}
	if err := os.Remove(filepath.Join(s.dir, account+".json")); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	syncDir(s.dir)
	return nil
}
