package account

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/watch"
)

func load(t *testing.T, body string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.Options{Path: path, Env: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const twoAccounts = `state_dir = "/tmp/mailmcp-account-test"
[[accounts]]
id = "ro"
email = "ro@example.org"
provider = "generic"
password_env = "X"
read_only = true
send_policy = "allowlist"
send_allowlist = ["*.example.org"]
watch = true
watch_folders = ["INBOX", "Work"]
imap = { host = "127.0.0.1", port = 1143, tls = "plain" }
smtp = { host = "127.0.0.1", port = 1587, tls = "plain" }
[[accounts]]
id = "rw"
email = "rw@example.org"
provider = "generic"
password_env = "X"
imap = { host = "127.0.0.1", port = 1143, tls = "plain" }
smtp = { host = "127.0.0.1", port = 1587, tls = "plain" }
`

// TestViewsAgree checks that every view of an account reads the same
// derived values: ReadOnly in the engine's and the tools' view, the policy
// parsed by config.Load, the watch target on the engine's account.
func TestViewsAgree(t *testing.T) {
	for _, global := range []bool{false, true} {
		cfg := load(t, twoAccounts)
		cfg.ReadOnly = global
		for i := range cfg.Accounts {
			c := &cfg.Accounts[i]
			eng := &imapconn.Account{ID: c.ID}
			a, err := New(cfg, c, eng)
			if err != nil {
				t.Fatal(err)
			}
			want := global || c.ID == "ro"
			if a.ReadOnly() != want || a.Engine().ReadOnly != want || a.Info().ReadOnly != want {
				t.Errorf("global=%v %s: ReadOnly account %v engine %v info %v, want %v",
					global, c.ID, a.ReadOnly(), a.Engine().ReadOnly, a.Info().ReadOnly, want)
			}
			if c.ID != "ro" {
				if a.Policy().Mode != policy.Confirm {
					t.Errorf("%s: mode %q, want confirm", c.ID, a.Policy().Mode)
				}
				continue
			}
			if a.Policy().Mode != policy.Allowlist || !a.Info().Policy.Allow.Allows("pat@mx.example.org") {
				t.Errorf("ro: policy %+v does not allow pat@mx.example.org", a.Policy())
			}
			tg := a.WatchTarget(true, watch.Options{BodyChars: 7})
			if tg.Account != eng || !tg.Always || len(tg.Folders) != 2 || tg.Options.BodyChars != 7 || tg.Options.PollInterval <= 0 {
				t.Errorf("ro: watch target %+v", tg)
			}
		}
	}
}
