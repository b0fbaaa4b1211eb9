package testrig

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgDirPrefix names the temporary directories of the rig's PostgreSQL
// servers (os.MkdirTemp), so leftovers of a killed test binary are found.
const pgDirPrefix = "mailmcp-pg-"

// Postgres is one private PostgreSQL server on loopback: its own data
// directory in a temp dir, trust authentication for the rig's superuser,
// listening on 127.0.0.1 only. It never touches the system cluster.
type Postgres struct {
	Dir     string // temp dir holding data/ and the socket
	Port    int
	bin     string
	cred    *syscall.Credential
	durable bool
	cmd     *exec.Cmd
	done    chan struct{}
	dbs     atomic.Int64
}

var pgGlobal struct {
	once sync.Once
	pg   *Postgres
	err  error
	skip string
}

// RequirePostgres returns the URL of a new, empty database on this test
// binary's PostgreSQL server, starting the server on first use and
// stopping it when Main returns. When PostgreSQL is not installed the test
// skips with one loud line; under CI that is a failure.
func RequirePostgres(tb testing.TB) string {
	tb.Helper()
	pgGlobal.once.Do(func() {
		pgGlobal.pg, pgGlobal.err = StartPostgres(PostgresOptions{})
		if errors.Is(pgGlobal.err, errPGMissing) {
			pgGlobal.skip, pgGlobal.err = pgGlobal.err.Error(), nil
			fmt.Fprintf(os.Stderr, "testrig: !!! SKIPPING POSTGRESQL TESTS: %s (run scripts/install-mailstack.sh as root) !!!\n", pgGlobal.skip)
			return
		}
		if pgGlobal.err == nil {
			AtExit(pgGlobal.pg.Close)
		}
	})
	if pgGlobal.skip != "" {
		if IsCI() {
			tb.Fatalf("testrig: PostgreSQL required under CI but unavailable: %s", pgGlobal.skip)
		}
		tb.Skip("testrig: PostgreSQL unavailable: " + pgGlobal.skip)
	}
	if pgGlobal.err != nil {
		tb.Fatalf("testrig: %v", pgGlobal.err)
	}
	url, err := pgGlobal.pg.NewDatabase(context.Background())
	if err != nil {
		tb.Fatalf("testrig: %v", err)
	}
	return url
}

// RequirePostgresServer is RequirePostgres that also returns the server,
// for tests that stop and start it under load.
func RequirePostgresServer(tb testing.TB) (*Postgres, string) {
	tb.Helper()
	url := RequirePostgres(tb)
	return pgGlobal.pg, url
}

var errPGMissing = errors.New("postgresql server binaries not found under /usr/lib/postgresql")

// pgBinDir is the bin directory of the newest PostgreSQL installed.
func pgBinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(a)))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(b)))
		return va - vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "postgres")); err == nil {
			return dirs[i], nil
		}
	}
	return "", errPGMissing
}

// PostgresOptions tune StartPostgres.
type PostgresOptions struct {
	// Durable keeps fsync on, as a production server runs: for
	// benchmarks of commit latency. Tests run without it (see Start).
	Durable bool
}

// StartPostgres initialises and starts a private server. PostgreSQL refuses
// to run as root, so as root it runs as the "postgres" system user the
// Debian package creates.
func StartPostgres(opt PostgresOptions) (*Postgres, error) {
	bin, err := pgBinDir()
	if err != nil {
		return nil, err
	}
	cleanupPGLeftovers(os.TempDir())
	dir, err := os.MkdirTemp("", pgDirPrefix)
	if err != nil {
		return nil, fmt.Errorf("postgres temp dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, fmt.Errorf("postgres owner file: %w", err)
	}
	cred, err := pgCredential(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "mailmcp", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, strings.TrimSpace(string(out)))
	}
	ports, err := FreePorts("127.0.0.1", 1)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p := &Postgres{Dir: dir, Port: ports[0], bin: bin, cred: cred, durable: opt.Durable}
	if err := p.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return p, nil
}

// Start runs the server on its data directory and port and waits until
// it accepts connections (after StartPostgres, only following a Stop).
func (p *Postgres) Start() error {
	logf, err := os.OpenFile(filepath.Join(p.Dir, "postgres.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("postgres log: %w", err)
	}
	defer logf.Close()
	p.done = make(chan struct{})
	args := []string{"-D", filepath.Join(p.Dir, "data"), "-p", strconv.Itoa(p.Port),
		"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=" + p.Dir,
		"-c", "max_connections=200", "-c", "shared_buffers=32MB"}
	if !p.durable {
		// No fsync: a killed server still recovers every commit from the
		// WAL in the page cache; only a machine crash would lose them,
		// which no test makes. CREATE DATABASE per test gets ~10x faster.
		args = append(args, "-c", "fsync=off")
	}
	p.cmd = exec.Command(filepath.Join(p.bin, "postgres"), args...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred, Setsid: true}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	cmd, done := p.cmd, p.done
	go func() { cmd.Wait(); close(done) }()
	if err := p.waitReady(20 * time.Second); err != nil {
		tail := p.LogTail()
		p.Stop()
		return fmt.Errorf("postgres not ready: %w; log: %s", err, tail)
	}
	return nil
}

// pgCredential gives dir to the postgres user when running as root and
// returns the credential to run the server with (nil: the current user).
func pgCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres system user: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, fmt.Errorf("chown %s: %w", dir, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// URL is the connection URL of database db as the rig's superuser.
func (p *Postgres) URL(db string) string {
	return fmt.Sprintf("postgres://mailmcp@%s/%s?sslmode=disable", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.Port)), db)
}

func (p *Postgres) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, p.URL("postgres"))
		if err == nil {
			err = c.Ping(ctx)
			c.Close(ctx)
		}
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("postgres exited: %v", p.cmd.ProcessState)
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// NewDatabase creates an empty database and returns its URL.
func (p *Postgres) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d_%d", os.Getpid(), p.dbs.Add(1))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, p.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect postgres: %w", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return p.URL(name), nil
}

// Stop shuts the server down (fast shutdown: open sessions are ended,
// committed data stays) and waits for it; Start runs it again on the same
// data directory and port, for tests that restart the database under load.
func (p *Postgres) Stop() error {
	if p.cmd == nil || p.cmd.Process == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil // not running
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		return nil
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		return errors.New("postgres did not stop in 15s; killed")
	}
}

// Close stops the server and removes its directory.
func (p *Postgres) Close() error {
	err := p.Stop()
	os.RemoveAll(p.Dir)
	return err
}

// LogTail is the end of the server's log, for failure messages.
func (p *Postgres) LogTail() string {
	b, _ := os.ReadFile(filepath.Join(p.Dir, "postgres.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// cleanupPGLeftovers stops servers of earlier test binaries that died
// without stopping them and removes their directories.
func cleanupPGLeftovers(tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, pgDirPrefix+"*"))
	for _, dir := range dirs {
		owner := readPIDFile(filepath.Join(dir, "owner.pid"))
		if owner != 0 && alive(owner) {
			continue
		}
		if owner == 0 {
			if fi, err := os.Stat(dir); err != nil || time.Since(fi.ModTime()) < time.Hour {
				continue // maybe being created right now
			}
		}
		if pid := postmasterPID(dir); pid != 0 && alive(pid) &&
			strings.Contains(cmdline(pid), dir) {
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			_ = waitGone(10*time.Second, pid)
		}
		os.RemoveAll(dir)
	}
}

// postmasterPID reads the server's PID, the first line of postmaster.pid.
func postmasterPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}
