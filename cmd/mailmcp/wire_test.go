package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/fault"
)

// loadWireConfig writes a one-account configuration whose servers refuse
// connections (port 1 on loopback), so a pool that tries to connect fails
// with a connection error and one that refuses first says read_only.
func loadWireConfig(t *testing.T) *config.Config {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	toml := `state_dir = "` + filepath.Join(dir, "state") + `"
[[accounts]]
id = "a"
email = "a@example.org"
provider = "generic"
password_env = "MAILMCP_WIRE_TEST_PASSWORD"
imap = { host = "127.0.0.1", port = 1, tls = "plain" }
smtp = { host = "127.0.0.1", port = 1, tls = "plain" }
`
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestReadOnlyFlagReachesPool checks that --read-only is honoured by the
// IMAP engine as well as by the tool layer: before, the pool's copy of the
// account read only a.ReadOnly || cfg.ReadOnly and so would write.
func TestReadOnlyFlagReachesPool(t *testing.T) {
	cfg := loadWireConfig(t)
	eng, err := buildEngine(cfg, slog.New(slog.DiscardHandler), true)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.mail.Close(context.Background())
	if got := eng.deps.Accounts[0].ReadOnly; !got {
		t.Fatalf("tools view: ReadOnly = false with --read-only")
	}
	p, err := eng.mail.Pool("a")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = p.Append(ctx, "INBOX", nil, time.Now(), []byte("Subject: x\r\n\r\nx\r\n"))
	if fault.KindOf(err) != fault.ReadOnly {
		t.Fatalf("Append with --read-only: kind %q (err %v), want %q", fault.KindOf(err), err, fault.ReadOnly)
	}
}
