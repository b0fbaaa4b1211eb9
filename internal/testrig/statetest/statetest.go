// Package statetest opens the state store a test runs on: the bbolt file
// by default, or a fresh PostgreSQL database when MAILMCP_TEST_STATE is
// "postgres", so that the suites of the packages built on the store run
// unchanged against both backends (scripts/test.sh runs them twice).
package statetest

import (
	"context"
	"os"
	"testing"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// Env names the variable that picks the backend.
const Env = "MAILMCP_TEST_STATE"

// Postgres reports whether this run uses the PostgreSQL backend.
func Postgres() bool { return os.Getenv(Env) == "postgres" }

// Open returns a store for a test: the file in dir, or a new database on
// the rig's PostgreSQL. Two calls with the same dir (in this process or
// a child it starts) open the same file or database, as two processes on
// one state directory do. The store is closed when the test ends.
func Open(tb testing.TB, dir string) store.Store {
	tb.Helper()
	if !Postgres() {
		f, err := store.Open(dir, store.Options{})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		return f
	}
	p, err := store.OpenPostgres(context.Background(), urlFor(tb, dir), store.PostgresOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close() })
	return p
}

// urlFor gives each state directory its own database, recorded in the
// directory so a reopen (a restarted process) finds the same one.
func urlFor(tb testing.TB, dir string) string {
	tb.Helper()
	marker := dir + "/.postgres-url"
	if b, err := os.ReadFile(marker); err == nil {
		return string(b)
	}
	url := testrig.RequirePostgres(tb)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(marker, []byte(url), 0o600); err != nil {
		tb.Fatal(err)
	}
	return url
}
