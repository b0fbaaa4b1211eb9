package store

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestPostgresReplicas increments one counter from three stores on one
// database, as three replicas would: serializable transactions conflict,
// are retried, and no increment is lost or doubled.
func TestPostgresReplicas(t *testing.T) {
	url := testrig.RequirePostgres(t)
	ctx := context.Background()
	const replicas, goroutines, per = 3, 3, 15
	var stores []*Postgres
	for range replicas {
		p, err := OpenPostgres(ctx, url, PostgresOptions{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		stores = append(stores, p)
	}
	var wg sync.WaitGroup
	for _, p := range stores {
		for range goroutines {
			wg.Go(func() {
				for range per {
					if err := increment(ctx, p); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
	wg.Wait()
	if got, want := counter(t, stores[0]), replicas*goroutines*per; got != want {
		t.Errorf("counter %d, want %d", got, want)
	}
}

// TestPostgresScanPages scans more rows than one page and reads other keys
// from inside the callback, which must not collide with an open result set.
func TestPostgresScanPages(t *testing.T) {
	p := openPG(t, PostgresOptions{})
	ctx := context.Background()
	const n = 3*scanPage + 7
	if err := p.Update(ctx, func(tx Tx) error {
		for i := range n {
			if err := tx.Bucket("big").Put(fmt.Sprintf("k%05d", i), []byte(fmt.Sprint(i))); err != nil {
				return err
			}
		}
		return tx.Bucket("side").Put("x", []byte("side"))
	}); err != nil {
		t.Fatal(err)
	}
	for _, reverse := range []bool{false, true} {
		var seen int
		prev := ""
		err := p.View(ctx, func(tx Tx) error {
			return tx.Bucket("big").Scan(ScanOptions{Prefix: "k", Reverse: reverse}, func(k string, v []byte) error {
				if prev != "" && (k > prev) == reverse {
					t.Fatalf("order: %q after %q (reverse %v)", k, prev, reverse)
				}
				prev = k
				if string(tx.Bucket("side").Get("x")) != "side" {
					t.Fatal("Get inside Scan failed")
				}
				seen++
				return nil
			})
		})
		if err != nil || seen != n {
			t.Fatalf("reverse %v: saw %d of %d, %v", reverse, seen, n, err)
		}
	}
}

// TestPostgresSchema: two replicas starting at once migrate once; a
// database written by a newer mailmcp is refused with a message that says
// what to do.
func TestPostgresSchema(t *testing.T) {
	url := testrig.RequirePostgres(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			p, err := OpenPostgres(ctx, url, PostgresOptions{MaxConns: 2})
			if err != nil {
				t.Error(err)
				return
			}
			p.Close()
		})
	}
	wg.Wait()
	p, err := OpenPostgres(ctx, url, PostgresOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Pool().Exec(ctx, `UPDATE mailmcp_schema SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	_, err = OpenPostgres(ctx, url, PostgresOptions{})
	if err == nil || !strings.Contains(err.Error(), "newer than this mailmcp") || !strings.Contains(err.Error(), "upgrade mailmcp") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

// TestPostgresURLSecret: a malformed URL carrying a password is reported
// without the password.
func TestPostgresURLSecret(t *testing.T) {
	_, err := OpenPostgres(context.Background(), "postgres://u:hunter2-secret@[::1:5432/db", PostgresOptions{})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}
