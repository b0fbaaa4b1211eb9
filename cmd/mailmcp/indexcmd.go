package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/index"
)

func newIndexCmd() *cobra.Command {
	var c common
	one := func(use, short string, run func(ctx context.Context, c common, id string, stdout, stderr io.Writer) error) *cobra.Command {
		cmd := &cobra.Command{
			Use: use + " ACCOUNT", Short: short,
			Args:              rangeArgs(1, 1, "the account id: mailmcp index "+use+" ACCOUNT"),
			ValidArgsFunction: completeAccounts(&c),
			RunE: func(cmd *cobra.Command, args []string) error {
				return run(cmd.Context(), c, args[0], cmd.OutOrStdout(), cmd.ErrOrStderr())
			},
		}
		c.register(cmd.Flags())
		return cmd
	}
	return group(&cobra.Command{Use: "index", Short: "status, rebuild or drop an account's local mail index"},
		one("status", "show what the local index holds and how fresh it is", cmdIndexStatus),
		one("rebuild", "delete the local index and build it again now (no other mailmcp may be using it)", cmdIndexRebuild),
		one("drop", "delete the local index (mail and all other state stay)", cmdIndexDrop),
	)
}

// indexAccount loads the configuration and returns the account id's
// settings.
func indexAccount(c common, id string) (*config.Config, *config.Account, error) {
	cfg, err := config.Load(config.Options{Path: c.configPath})
	if err != nil {
		return nil, nil, err
	}
	a := cfg.Account(id)
	if a == nil {
		return nil, nil, usageError{fmt.Errorf("no account %q in the configuration (accounts: %v)", id, cfg.AccountIDs())}
	}
	return cfg, a, nil
}

func cmdIndexStatus(ctx context.Context, c common, id string, stdout, stderr io.Writer) error {
	cfg, a, err := indexAccount(c, id)
	if err != nil {
		return err
	}
	path := a.IndexPath(cfg.StateDir)
	if !a.Index {
		fmt.Fprintf(stdout, "account %s: index = false (set index = true to keep a local index)\n", id)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "no index at %s\n", path)
		return nil
	}
	ix, err := index.Open(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("index %s: %w (mailmcp index rebuild %s builds it again)", path, err, id)
	}
	defer ix.Close()
	fs, err := ix.Folders(ctx)
	if err != nil {
		return err
	}
	who := "no mailmcp process maintains it now"
	if !ix.Writer() {
		who = "a running mailmcp maintains it"
	}
	fmt.Fprintf(stdout, "index %s: %s on disk, %s\n", path, humanSize(ix.Size()), who)
	for _, f := range fs {
		state := "complete"
		if !f.Complete {
			state = "incomplete"
		}
		synced := "never"
		if !f.SyncedAt.IsZero() {
			synced = f.SyncedAt.UTC().Format(time.RFC3339) + fmt.Sprintf(" (%s ago)", time.Since(f.SyncedAt).Round(time.Second))
		}
		fmt.Fprintf(stdout, "  %-24s %d of %d messages, %s, uidvalidity %d, synced %s\n", f.Name, f.Indexed, f.ServerCount, state, f.UIDValidity, synced)
	}
	return nil
}

// openExclusive opens the index as its writer, or says who holds it.
func openExclusive(ctx context.Context, path, id string) (*index.Index, error) {
	ix, err := index.Open(ctx, path, nil)
	if err != nil && !errors.Is(err, index.ErrCorrupt) && !errors.Is(err, index.ErrNotReady) {
		return nil, err
	}
	if err != nil || !ix.Writer() {
		if ix != nil {
			ix.Close()
		}
		return nil, fmt.Errorf("index of %s is in use by a running mailmcp: stop it first", id)
	}
	return ix, nil
}

func cmdIndexDrop(ctx context.Context, c common, id string, stdout, stderr io.Writer) error {
	cfg, a, err := indexAccount(c, id)
	if err != nil {
		return err
	}
	path := a.IndexPath(cfg.StateDir)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(stdout, "no index at %s\n", path)
		return nil
	}
	ix, err := openExclusive(ctx, path, id)
	if err != nil {
		return err
	}
	if err := ix.Drop(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "dropped %s (no mail or other state was touched)\n", path)
	return nil
}

func cmdIndexRebuild(ctx context.Context, c common, id string, stdout, stderr io.Writer) error {
	cfg, a, err := indexAccount(c, id)
	if err != nil {
		return err
	}
	log, closeLog, err := c.logger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer closeLog()
	path := a.IndexPath(cfg.StateDir)
	ix, err := openExclusive(ctx, path, id)
	if err != nil {
		return err
	}
	if err := ix.Drop(); err != nil {
		return err
	}
	if ix, err = index.Open(ctx, path, log); err != nil {
		return err
	}
	defer ix.Close()
	eng, err := buildEngine(cfg, log, true)
	if err != nil {
		return err
	}
	defer eng.mail.Close(context.Background())
	pool, err := eng.mail.Pool(id)
	if err != nil {
		return err
	}
	progress := func(p index.Progress) {
		if !p.Final {
			fmt.Fprintf(stderr, "indexing %s: %d of %d\n", p.Folder, p.Done, p.Total)
		}
	}
	sy := index.NewSyncer(ix, pool, index.SyncOptions{Folders: a.IndexFolders, MaxBytes: a.IndexMaxBytes, Progress: progress, Log: log})
	start := time.Now()
	if err := sy.SyncAll(ctx); err != nil {
		return fmt.Errorf("rebuild %s: %w", id, err)
	}
	fmt.Fprintf(stdout, "rebuilt %s in %s: %s\n", path, time.Since(start).Round(time.Millisecond), humanSize(ix.Size()))
	return nil
}

func humanSize(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
