package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema versions, in order: migrations[i] takes the
// schema from version i to i+1. Append only; never edit a released one.
var migrations = []string{
	// 1: the key/value contract.
	`CREATE TABLE mailmcp_kv (
		ns  text  NOT NULL,
		key bytea NOT NULL,
		val bytea NOT NULL,
		PRIMARY KEY (ns, key)
	);
	CREATE TABLE mailmcp_seq (
		ns text PRIMARY KEY,
		n  bigint NOT NULL
	);`,
}

// SchemaVersion is the schema this binary writes.
var SchemaVersion = len(migrations)

// migrateLock is the advisory-lock key that serialises migrations across
// replicas ("mailmcp" in ASCII).
const migrateLock = 0x6d61696c6d6370

// migrate brings the schema to SchemaVersion in one transaction under an
// advisory lock, or refuses a schema newer than this binary knows.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
			return fmt.Errorf("postgres: lock for schema migration: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS mailmcp_schema (version int NOT NULL)`); err != nil {
			return fmt.Errorf("postgres: create schema table: %w", err)
		}
		var v int
		err := tx.QueryRow(ctx, `SELECT version FROM mailmcp_schema`).Scan(&v)
		switch {
		case err == pgx.ErrNoRows:
			if _, err := tx.Exec(ctx, `INSERT INTO mailmcp_schema (version) VALUES (0)`); err != nil {
				return fmt.Errorf("postgres: init schema version: %w", err)
			}
		case err != nil:
			return fmt.Errorf("postgres: read schema version: %w", err)
		}
		if v > SchemaVersion {
			return fmt.Errorf("postgres: the state database has schema version %d, newer than this mailmcp knows (%d): upgrade mailmcp on this replica before starting it", v, SchemaVersion)
		}
		for ; v < SchemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("postgres: migrate schema to version %d: %w", v+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE mailmcp_schema SET version = $1`, SchemaVersion); err != nil {
			return fmt.Errorf("postgres: record schema version: %w", err)
		}
		return nil
	})
}
