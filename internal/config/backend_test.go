package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deployExample is deploy/config.example.toml with its password file made
// to exist, as compose.yaml mounts it.
func deployExample(t *testing.T) string {
	b, err := os.ReadFile("../../deploy/config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "work-password")
	if err := os.WriteFile(pw, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(string(b), "/etc/mailmcp/work-password", pw)), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStateBackend: the default, the URL implying postgres, and the
// errors, none of which may echo a URL (it can carry a password).
func TestStateBackend(t *testing.T) {
	example := deployExample(t)
	cfg, err := Load(Options{Path: example, Env: envOf(map[string]string{
		"MAILMCP_POSTGRES_URL": "postgres://mailmcp:pw@postgres:5432/mailmcp?sslmode=disable"})})
	if err != nil {
		t.Fatalf("deploy/config.example.toml with the compose environment: %v", err)
	}
	if cfg.StateBackend != StatePostgres || len(cfg.Accounts) != 1 || !cfg.Accounts[0].Watch {
		t.Errorf("deploy example: backend %q, accounts %+v", cfg.StateBackend, cfg.Accounts)
	}
	if cfg, err := Load(Options{Path: example, Env: envOf(nil)}); err != nil || cfg.StateBackend != StateFile {
		t.Errorf("without a URL: %v %v", cfg.StateBackend, err)
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MAILMCP_STATE_BACKEND": "postgres"}, "no database is given"},
		{map[string]string{"MAILMCP_STATE_BACKEND": "redis"}, `"redis" is not a state backend`},
		{map[string]string{"MAILMCP_POSTGRES_URL": "mysql://u:hunter2@h/db"}, "must be a URL starting with postgres://"},
	} {
		_, err := Load(Options{Path: example, Env: envOf(c.env)})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: %v", c.env, err)
		}
	}
}
