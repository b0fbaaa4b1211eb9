package setup

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// claudeDesktopConfig is where Claude Desktop keeps its MCP servers.
func claudeDesktopConfig(home, goos string) string {
	switch goos {
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "Claude", "claude_desktop_config.json")
	case "windows":
		if d := os.Getenv("APPDATA"); d != "" {
			return filepath.Join(d, "Claude", "claude_desktop_config.json")
		}
		return filepath.Join(home, "AppData", "Roaming", "Claude", "claude_desktop_config.json")
	}
	return filepath.Join(home, ".config", "Claude", "claude_desktop_config.json")
}

// ClaudeDesktopOptions are the settings of 'setup claude-desktop'.
type ClaudeDesktopOptions struct {
	DryRun bool
	// Print shows the snippets for Claude Desktop, Claude Code, VS Code and
	// Cursor and writes nothing.
	Print bool
	// File is Claude Desktop's config file (default: the platform's).
	File string
	// Name is the MCP server name ("email").
	Name string
	// ConfigPath is the mailmcp config file the server is started with.
	ConfigPath string
	// Command is the mailmcp binary (default: this one).
	Command string
}

// ClaudeDesktop adds mcpServers.<name> to Claude Desktop's config, or
// with Print shows the snippets for other clients.
func ClaudeDesktop(o ClaudeDesktopOptions, stdout io.Writer) error {
	if o.Name == "" {
		o.Name = "email"
	}
	cmd, err := command(o.Command)
	if err != nil {
		return err
	}
	sargs := serveArgs(o.ConfigPath)
	if o.Print {
		fmt.Fprint(stdout, clientSnippets(o.Name, cmd, sargs))
		return nil
	}
	home, err := homeDir()
	if err != nil {
		return err
	}
	if o.File == "" {
		o.File = claudeDesktopConfig(home, runtime.GOOS)
	}
	entry := newObject()
	entry.set("command", cmd)
	entry.set("args", sargs)
	merged, err := mergeServerEntry(o.File, []string{"mcpServers"}, o.Name, entry)
	if err != nil {
		return err
	}
	w := &FileWriter{DryRun: o.DryRun, Out: stdout, Now: time.Now}
	if err := w.Write(o.File, merged, 0o600); err != nil {
		return err
	}
	if !o.DryRun {
		fmt.Fprintln(stdout, "Restart Claude Desktop to load mailmcp.")
	}
	return nil
}

// clientSnippets renders the stdio configuration for the common clients.
func clientSnippets(name, command string, args []string) string {
	stdio := map[string]any{"command": command, "args": args}
	js := func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	}
	vscode := map[string]any{"servers": map[string]any{name: map[string]any{"type": "stdio", "command": command, "args": args}}}
	mcpServers := map[string]any{"mcpServers": map[string]any{name: stdio}}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Claude Desktop (%s):\n%s\n\n", claudeDesktopConfig("~", runtime.GOOS), js(mcpServers))
	fmt.Fprintf(&b, "# Claude Code:\nclaude mcp add %s -- %s %s\n\n", name, shellQuote(command), strings.Join(quoted, " "))
	fmt.Fprintf(&b, "# VS Code (.vscode/mcp.json in a workspace, or 'MCP: Open User Configuration'):\n%s\n\n", js(vscode))
	fmt.Fprintf(&b, "# Cursor (~/.cursor/mcp.json, or .cursor/mcp.json in a project):\n%s\n", js(mcpServers))
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`!*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
