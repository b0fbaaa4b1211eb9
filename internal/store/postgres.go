package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Store on a PostgreSQL database, shared by every replica
// of a deployment. Buckets are rows of one table keyed by (bucket, key);
// read-write transactions run SERIALIZABLE and are retried on
// serialization failures, which is what the Store contract's "fn may be
// called again" allows; views run REPEATABLE READ READ ONLY, one snapshot.
type Postgres struct {
	pool   *pgxpool.Pool
	opt    PostgresOptions
	closed atomic.Bool
}

// PostgresOptions tune a Postgres store.
type PostgresOptions struct {
	// MaxConns bounds the connections of this process (default 10).
	MaxConns int32
	// Retries bounds the re-runs of a transaction that lost a
	// serialization conflict (default 20); then Update fails with ErrBusy.
	Retries int
}

// OpenPostgres connects to url, applies the schema migrations this binary
// knows (under an advisory lock, so replicas starting together migrate
// once) and refuses a database whose schema is newer than this binary.
func OpenPostgres(ctx context.Context, url string, opt PostgresOptions) (*Postgres, error) {
	if opt.MaxConns <= 0 {
		opt.MaxConns = 10
	}
	if opt.Retries <= 0 {
		opt.Retries = 20
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message can echo the URL, password included: never wrap it.
		return nil, errors.New("postgres_url is not a valid PostgreSQL connection URL")
	}
	cfg.MaxConns = opt.MaxConns
	cfg.ConnConfig.RuntimeParams["application_name"] = "mailmcp"
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, classify(pgWhat, fmt.Errorf("connect to postgres %s: %w", cfg.ConnConfig.Host, err))
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, classify(pgWhat, err)
	}
	return &Postgres{pool: pool, opt: opt}, nil
}

// Pool is the connection pool, for the packages that need PostgreSQL
// itself (leases, LISTEN/NOTIFY) beside the key/value contract.
func (p *Postgres) Pool() *pgxpool.Pool { return p.pool }

// pgWhat names the database in hints.
const pgWhat = "the PostgreSQL database"

// Update implements Store.
func (p *Postgres) Update(ctx context.Context, fn func(Tx) error) error {
	return classify(pgWhat, p.update(ctx, fn))
}

func (p *Postgres) update(ctx context.Context, fn func(Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := p.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, fn)
		if !retryable(err) {
			return err
		}
		if attempt >= p.opt.Retries {
			return fmt.Errorf("postgres: %d conflicting transactions in a row: %w", attempt+1, ErrBusy)
		}
		// Jittered backoff, so the replicas that collided do not collide
		// again in lock step.
		d := time.Duration(1+rand.IntN(1<<min(attempt, 6))) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
}

// View implements Store.
func (p *Postgres) View(ctx context.Context, fn func(Tx) error) error {
	return classify(pgWhat, p.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn))
}

// Close implements Store.
func (p *Postgres) Close() error {
	p.closed.Store(true)
	p.pool.Close()
	return nil
}

func (p *Postgres) run(ctx context.Context, opts pgx.TxOptions, fn func(Tx) error) error {
	if p.closed.Load() {
		return ErrClosed
	}
	tx, err := p.pool.BeginTx(ctx, opts)
	if err != nil {
		if p.closed.Load() {
			return ErrClosed
		}
		return fmt.Errorf("postgres: begin: %w", err)
	}
	t := &pgTx{ctx: ctx, tx: tx, writable: opts.AccessMode != pgx.ReadOnly}
	if err := fn(t); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		if t.err != nil {
			return t.err // the database error behind what fn saw
		}
		return err
	}
	if t.err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return t.err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// retryable reports a serialization failure or deadlock, after which the
// transaction can be run again from the start.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// pgTx is one transaction. Bucket.Get cannot return an error, so the first
// database error of a transaction is kept and fails the transaction: fn
// may have decided on a wrong "absent", but nothing it did is committed.
type pgTx struct {
	ctx      context.Context
	tx       pgx.Tx
	writable bool
	err      error
}

func (t *pgTx) Writable() bool { return t.writable }

func (t *pgTx) Bucket(ns string) Bucket { return &pgBucket{t: t, ns: ns} }

func (t *pgTx) fail(op string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("postgres: %s: %w", op, err)
	if t.err == nil {
		t.err = err
	}
	return err
}

type pgBucket struct {
	t  *pgTx
	ns string
}

func (b *pgBucket) Get(key string) []byte {
	if b.t.err != nil {
		return nil
	}
	var v []byte
	err := b.t.tx.QueryRow(b.t.ctx, `SELECT val FROM mailmcp_kv WHERE ns = $1 AND key = $2`, b.ns, []byte(key)).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if b.t.fail("get "+b.ns, err) != nil {
		return nil
	}
	if v == nil {
		v = []byte{}
	}
	return v
}

func (b *pgBucket) Put(key string, val []byte) error {
	if !b.t.writable {
		return ErrReadOnly
	}
	if b.t.err != nil {
		return b.t.err
	}
	if val == nil {
		val = []byte{}
	}
	_, err := b.t.tx.Exec(b.t.ctx, `INSERT INTO mailmcp_kv (ns, key, val) VALUES ($1, $2, $3)
		ON CONFLICT (ns, key) DO UPDATE SET val = EXCLUDED.val`, b.ns, []byte(key), val)
	return b.t.fail("put "+b.ns, err)
}

func (b *pgBucket) Delete(key string) error {
	if !b.t.writable {
		return ErrReadOnly
	}
	if b.t.err != nil {
		return b.t.err
	}
	_, err := b.t.tx.Exec(b.t.ctx, `DELETE FROM mailmcp_kv WHERE ns = $1 AND key = $2`, b.ns, []byte(key))
	return b.t.fail("delete "+b.ns, err)
}

func (b *pgBucket) NextSeq() (uint64, error) {
	if !b.t.writable {
		return 0, ErrReadOnly
	}
	if b.t.err != nil {
		return 0, b.t.err
	}
	var n int64
	err := b.t.tx.QueryRow(b.t.ctx, `INSERT INTO mailmcp_seq (ns, n) VALUES ($1, 1)
		ON CONFLICT (ns) DO UPDATE SET n = mailmcp_seq.n + 1 RETURNING n`, b.ns).Scan(&n)
	if err := b.t.fail("next sequence "+b.ns, err); err != nil {
		return 0, err
	}
	return uint64(n), nil
}

// scanPage is how many rows Scan reads per query. fn runs between pages,
// never while a result set is open, so fn may call Get on the same
// transaction (one PostgreSQL connection serves one query at a time).
const scanPage = 256

func (b *pgBucket) Scan(opt ScanOptions, fn func(string, []byte) error) error {
	if b.t.err != nil {
		return b.t.err
	}
	lo := []byte(opt.Prefix) // inclusive lower bound
	hi := successor(lo)      // exclusive upper bound; nil: none
	var after []byte
	if opt.After != "" {
		after = []byte(opt.After)
	}
	type row struct {
		k string
		v []byte
	}
	for {
		q := `SELECT key, val FROM mailmcp_kv WHERE ns = $1 AND key >= $2 AND ($3::bytea IS NULL OR key < $3)`
		order := `ORDER BY key`
		if opt.Reverse {
			q += ` AND ($4::bytea IS NULL OR key < $4)`
			order = `ORDER BY key DESC`
		} else {
			q += ` AND ($4::bytea IS NULL OR key > $4)`
		}
		rows, err := b.t.tx.Query(b.t.ctx, q+" "+order+fmt.Sprintf(" LIMIT %d", scanPage), b.ns, lo, hi, after)
		if err != nil {
			return b.t.fail("scan "+b.ns, err)
		}
		var page []row
		for rows.Next() {
			var k, v []byte
			if err := rows.Scan(&k, &v); err != nil {
				rows.Close()
				return b.t.fail("scan "+b.ns, err)
			}
			if v == nil {
				v = []byte{}
			}
			page = append(page, row{string(k), v})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return b.t.fail("scan "+b.ns, err)
		}
		for _, r := range page {
			if err := fn(r.k, r.v); err != nil {
				if err == ErrStop {
					return nil
				}
				return err
			}
		}
		if len(page) < scanPage {
			return nil
		}
		after = []byte(page[len(page)-1].k)
	}
}

// Lock takes a lock named name that holds across every replica on the
// database (a session-level advisory lock on a connection kept for it),
// waiting until ctx ends. unlock releases it; so does the death of this
// process, since its connection then ends.
func (p *Postgres) Lock(ctx context.Context, name string) (unlock func(), err error) {
	if p.closed.Load() {
		return nil, classify(pgWhat, ErrClosed)
	}
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return nil, classify(pgWhat, fmt.Errorf("postgres: lock %s: %w", name, err))
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended($1, 0))`, name); err != nil {
		// The connection may be mid-cancel: never reuse it.
		conn.Conn().Close(context.Background())
		conn.Release()
		return nil, classify(pgWhat, fmt.Errorf("postgres: lock %s: %w", name, err))
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended($1, 0))`, name); err != nil {
				// Closing the session releases the lock as well.
				conn.Conn().Close(ctx)
			}
			conn.Release()
		})
	}, nil
}

// Notify sends payload on channel to every replica listening (pg_notify).
// Delivery is best effort: listeners must treat a notification as "look
// now", never as the data itself.
func (p *Postgres) Notify(ctx context.Context, channel, payload string) error {
	if _, err := p.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return classify(pgWhat, fmt.Errorf("postgres: notify %s: %w", channel, err))
	}
	return nil
}

// Listen calls fn for each notification on channel until ctx ends, on a
// connection of its own. After a failure it reconnects with backoff and
// calls fn("") once it listens again, since notifications sent meanwhile
// are lost.
func (p *Postgres) Listen(ctx context.Context, channel string, fn func(payload string)) {
	backoff := 100 * time.Millisecond
	for retry := false; ctx.Err() == nil; retry = true {
		// An error only costs latency: the caller's waiters also re-read
		// on their own schedule.
		_ = p.listenOnce(ctx, channel, retry, fn)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (p *Postgres) listenOnce(ctx context.Context, channel string, retry bool, fn func(string)) error {
	conn, err := p.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that was LISTENing never goes back to the pool.
	defer func() { conn.Conn().Close(context.Background()); conn.Release() }()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	if retry {
		fn("")
	}
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(n.Payload)
	}
}
