package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/setup"
)

// existingOpenClaw is an openclaw.json in JSON5 with settings and another
// MCP server that setup must leave alone.
const existingOpenClaw = `// my OpenClaw settings
{
  agents: { defaults: { model: 'anthropic/claude-sonnet' } },
  mcp: {
    servers: {
      github: {
        command: "github-mcp",
        args: ["stdio",],
        env: { GITHUB_TOKEN: "${GITHUB_TOKEN}" },
        requestTimeoutMs: 0x7530,
      },
      email: { command: "/old/mailmcp", args: ["serve"] },
    },
  },
  hooks: { enabled: false, },
}
`

func plainJSON(t *testing.T, data []byte) map[string]any {
	t.Helper()
	plain, err := setup.JSON5ToJSON(data)
	if err != nil {
		t.Fatalf("json5: %v\n%s", err, data)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatalf("json: %v\n%s", err, plain)
	}
	return m
}

func dig(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

func TestSetupOpenClawPreservesOtherSettings(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("MAILMCP_CONFIG", "")
	cfgPath := filepath.Join(home, ".openclaw", "openclaw.json")
	os.MkdirAll(filepath.Dir(cfgPath), 0o700)
	os.WriteFile(cfgPath, []byte(existingOpenClaw), 0o600)
	before := plainJSON(t, []byte(existingOpenClaw))

	var out, errb bytes.Buffer
	if err := execute(t.Context(), []string{"setup", "openclaw", "--command", "/usr/local/bin/mailmcp", "--config", "/etc/mailmcp.toml"}, nil, &out, &errb); err != nil {
		t.Fatalf("setup openclaw: %v\n%s", err, errb.String())
	}
	data, _ := os.ReadFile(cfgPath)
	after := plainJSON(t, data)
	// Everything but our entry is unchanged.
	wantOthers := plainJSON(t, []byte(existingOpenClaw))
	delete(dig(wantOthers, "mcp", "servers").(map[string]any), "email")
	gotOthers := plainJSON(t, data)
	delete(dig(gotOthers, "mcp", "servers").(map[string]any), "email")
	if !reflect.DeepEqual(wantOthers, gotOthers) {
		t.Errorf("other settings changed:\nbefore %v\nafter  %v", wantOthers, gotOthers)
	}
	email := dig(after, "mcp", "servers", "email").(map[string]any)
	if email["command"] != "/usr/local/bin/mailmcp" || !reflect.DeepEqual(email["args"], []any{"serve", "--config", "/etc/mailmcp.toml"}) {
		t.Errorf("email entry: %v", email)
	}
	if ms, _ := email["requestTimeoutMs"].(float64); ms <= 50_000 {
		t.Errorf("requestTimeoutMs %v must exceed watch_inbox's 50 s", email["requestTimeoutMs"])
	}
	if _, ok := dig(before, "mcp", "servers", "github").(map[string]any); !ok {
		t.Fatal("fixture lost github")
	}
	// Key order of the file is kept: agents before mcp before hooks.
	if s := string(data); !(strings.Index(s, `"agents"`) < strings.Index(s, `"mcp"`) && strings.Index(s, `"mcp"`) < strings.Index(s, `"hooks"`)) {
		t.Errorf("key order changed:\n%s", s)
	}
	// The original (with its comments) is backed up.
	backups, _ := filepath.Glob(cfgPath + ".bak-*")
	if len(backups) != 1 {
		t.Fatalf("want one backup, got %v", backups)
	}
	if b, _ := os.ReadFile(backups[0]); string(b) != existingOpenClaw {
		t.Error("backup differs from the original")
	}
	if st, _ := os.Stat(cfgPath); st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", st.Mode().Perm())
	}
	skill, err := os.ReadFile(filepath.Join(home, ".openclaw", "skills", "mailmcp-email", "SKILL.md"))
	if err != nil || !strings.HasPrefix(string(skill), "---\nname: mailmcp-email\n") || !strings.Contains(string(skill), "email__fetch_message") || !strings.Contains(string(skill), "untrusted") {
		t.Errorf("skill: %v\n%s", err, skill)
	}
	if !strings.Contains(out.String(), "hooks") || !strings.Contains(out.String(), "/hooks/agent") {
		t.Errorf("hooks settings should be printed:\n%s", out.String())
	}
	// Running again changes nothing and makes no new backup.
	out.Reset()
	if err := execute(t.Context(), []string{"setup", "openclaw", "--command", "/usr/local/bin/mailmcp", "--config", "/etc/mailmcp.toml"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if backups, _ := filepath.Glob(cfgPath + ".bak-*"); len(backups) != 1 || !strings.Contains(out.String(), "unchanged") {
		t.Errorf("second run should be a no-op: %v\n%s", backups, out.String())
	}
}

func TestSetupOpenClawHTTPAndDryRun(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfgPath := filepath.Join(home, ".openclaw", "openclaw.json")
	var out, errb bytes.Buffer
	args := []string{"openclaw", "--dry-run", "--url", "http://127.0.0.1:8025/mcp"}
	if err := execute(t.Context(), append([]string{"setup"}, args...), nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("dry run wrote files: %v", entries)
	}
	if !strings.Contains(out.String(), "would create "+cfgPath) || !strings.Contains(out.String(), `"transport": "streamable-http"`) ||
		!strings.Contains(out.String(), `"Authorization": "Bearer ${MAILMCP_HTTP_TOKEN}"`) {
		t.Errorf("dry run output:\n%s", out.String())
	}
	out.Reset()
	if err := execute(t.Context(), []string{"setup", "openclaw", "--command", "/bin/mailmcp"}, nil, &out, &errb); err != nil { // stdio into a fresh file
		t.Fatal(err)
	}
	if err := execute(t.Context(), []string{"setup", "openclaw", "--url", "http://127.0.0.1:8025/mcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cfgPath)
	email := dig(plainJSON(t, data), "mcp", "servers", "email").(map[string]any)
	if email["url"] != "http://127.0.0.1:8025/mcp" || email["transport"] != "streamable-http" || email["command"] != nil {
		t.Errorf("HTTP entry replaces the stdio one: %v", email)
	}
}

func TestSetupRefusesBrokenConfig(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	cfgPath := filepath.Join(home, ".openclaw", "openclaw.json")
	os.MkdirAll(filepath.Dir(cfgPath), 0o700)
	broken := `{ mcp: { servers: [1, 2 }`
	os.WriteFile(cfgPath, []byte(broken), 0o600)
	var out, errb bytes.Buffer
	err := execute(t.Context(), []string{"setup", "openclaw", "--command", "/bin/mailmcp"}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("want a refusal: %v", err)
	}
	if b, _ := os.ReadFile(cfgPath); string(b) != broken {
		t.Error("broken file was modified")
	}
	os.WriteFile(cfgPath, []byte(`{"mcp": {"servers": ["not", "an", "object"]}}`), 0o600)
	if err := execute(t.Context(), []string{"setup", "openclaw", "--command", "/bin/mailmcp"}, nil, &out, &errb); err == nil {
		t.Error("servers that is not an object must not be overwritten")
	}
}

func TestSetupClaudeDesktopAndPrint(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("MAILMCP_CONFIG", "")
	file := filepath.Join(home, "claude.json")
	os.WriteFile(file, []byte(`{"mcpServers": {"other": {"command": "x"}}, "globalShortcut": "Ctrl+Space"}`), 0o644)
	var out, errb bytes.Buffer
	if err := execute(t.Context(), []string{"setup", "claude-desktop", "--file", file, "--command", "/bin/mailmcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(file)
	got := plainJSON(t, data)
	if dig(got, "globalShortcut") != "Ctrl+Space" || dig(got, "mcpServers", "other", "command") != "x" ||
		dig(got, "mcpServers", "email", "command") != "/bin/mailmcp" {
		t.Errorf("merged config: %s", data)
	}
	out.Reset()
	if err := execute(t.Context(), []string{"setup", "claude-desktop", "--print", "--command", "/opt/mail mcp/mailmcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Claude Code:\nclaude mcp add email -- '/opt/mail mcp/mailmcp' serve", `"servers": {`, `"type": "stdio"`, "# Cursor", `"mcpServers": {`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--print lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSetupService(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	t.Setenv("MAILMCP_CONFIG", "")
	var out, errb bytes.Buffer
	if err := execute(t.Context(), []string{"setup", "service", "--os", "linux", "--dry-run", "--command", "/bin/mailmcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("dry run wrote files: %v", entries)
	}
	if err := execute(t.Context(), []string{"setup", "service", "--os", "linux", "--command", "/bin/mailmcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	unit, err := os.ReadFile(filepath.Join(home, ".config", "systemd", "user", "mailmcp.service"))
	if err != nil || !strings.Contains(string(unit), "ExecStart=/bin/mailmcp serve --http 127.0.0.1:8025\n") ||
		!strings.Contains(string(unit), "Environment=MAILMCP_HTTP_TOKEN_FILE="+filepath.Join(home, ".config", "mailmcp", "http-tokens")) {
		t.Errorf("unit: %v\n%s", err, unit)
	}
	tokPath := filepath.Join(home, ".config", "mailmcp", "http-tokens")
	st, err := os.Stat(tokPath)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v", err)
	}
	tok, _ := os.ReadFile(tokPath)
	if strings.Contains(out.String(), strings.TrimSpace(string(tok))) {
		t.Error("the token must not be printed")
	}
	if tk := strings.TrimSpace(string(tok)); len(tk) != 64 || strings.Trim(tk, "0123456789abcdef") != "" {
		t.Errorf("the generated token must be 32 random bytes in hex: %q", tk)
	}
	// A second run keeps the token.
	if err := execute(t.Context(), []string{"setup", "service", "--os", "linux", "--command", "/bin/mailmcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(tokPath); !bytes.Equal(again, tok) {
		t.Error("an existing token file must be kept")
	}
	if err := execute(t.Context(), []string{"setup", "service", "--os", "darwin", "--command", "/bin/mail & mcp"}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	plist, _ := os.ReadFile(filepath.Join(home, "Library", "LaunchAgents", "dev.mailmcp.mailmcp"+".plist"))
	if !strings.Contains(string(plist), "<string>/bin/mail &amp; mcp</string>") || !strings.Contains(string(plist), "<string>--http</string>") {
		t.Errorf("plist:\n%s", plist)
	}
}
