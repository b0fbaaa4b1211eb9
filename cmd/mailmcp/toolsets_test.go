package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// listToolNames runs this binary as mailmcp with args over stdio and returns
// the tool names tools/list gives a real MCP client.
func listToolNames(t *testing.T, env []string, args ...string) []string {
	t.Helper()
	c, err := client.NewStdioMCPClient(os.Args[0], env, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tl, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range tl.Tools {
		names = append(names, tool.Name)
	}
	return names
}

// TestServeExplainsHiddenTools: with no account configured serve offers no
// sending tool, and says so in one log line rather than silently showing
// fewer tools than 'mailmcp tools' and the README list.
func TestServeExplainsHiddenTools(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "serve.log")
	names := listToolNames(t, childEnv(t), "serve", "--log-file", logFile)
	if slices.Contains(names, "send_email") || !slices.Contains(names, "search") {
		t.Errorf("no account: want search but no send_email, got %v", names)
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "offering ") {
			line = l
		}
	}
	for _, want := range []string{"offering 18 of 23 tools", "send_email", "no account is configured"} {
		if !strings.Contains(line, want) {
			t.Errorf("serve log should say which tools are hidden and why (%q); got %q\nwhole log:\n%s", want, line, log)
		}
	}
}

// TestToolsetsChooseTools: --toolsets, then MAILMCP_TOOLSETS, choose the
// tools offered; list_accounts is always there.
func TestToolsetsChooseTools(t *testing.T) {
	read := listToolNames(t, childEnv(t), "demo", "--toolsets", "read")
	if !slices.Contains(read, "search") || !slices.Contains(read, "list_accounts") || slices.Contains(read, "move") || slices.Contains(read, "send_email") {
		t.Errorf("--toolsets read: %v", read)
	}
	env := append(childEnv(t), envToolsets+"=organise")
	org := listToolNames(t, env, "demo")
	if !slices.Contains(org, "move") || slices.Contains(org, "search") {
		t.Errorf("%s=organise: %v", envToolsets, org)
	}
	if got := listToolNames(t, env, "demo", "--toolsets", "watch"); !slices.Equal(got, []string{"list_accounts", "watch_inbox"}) {
		t.Errorf("--toolsets watch must win over the env var: %v", got)
	}
	// Read-only mode never registers a write tool, whatever the toolsets.
	for _, name := range listToolNames(t, childEnv(t), "demo", "--read-only", "--toolsets", "organise,send") {
		if !slices.Contains([]string{"list_accounts", "list_drafts", "outbox_status"}, name) {
			t.Errorf("read-only with organise,send offers %s", name)
		}
	}
	if err := binary(t, "demo", "--toolsets", "reed").Run(); err == nil {
		t.Error("an unknown toolset must be refused")
	}
}
