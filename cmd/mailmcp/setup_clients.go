package main

import (
	"encoding/json"
	"flag"
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

// setupClaudeDesktop adds mcpServers.<name> to Claude Desktop's config, or
// with --print shows the snippets for other clients.
func setupClaudeDesktop(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("setup claude-desktop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "print what would be written; change nothing")
	print := fs.Bool("print", false, "print the configuration for Claude Desktop, Claude Code, VS Code and Cursor; write nothing")
	file := fs.String("file", "", "Claude Desktop config file (default: the platform's location)")
	name := fs.String("name", "email", "server name")
	configPath := fs.String("config", "", "mailmcp config file to pass to the server (default: mailmcp's default)")
	command := fs.String("command", "", "mailmcp binary the client starts (default: this binary)")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	if *command == "" {
		*command = selfPath()
	}
	sargs := serveArgs(*configPath)
	if *print {
		fmt.Fprint(stdout, clientSnippets(*name, *command, sargs))
		return nil
	}
	home, err := homeDir()
	if err != nil {
		return err
	}
	if *file == "" {
		*file = claudeDesktopConfig(home, runtime.GOOS)
	}
	entry := newObject()
	entry.set("command", *command)
	entry.set("args", sargs)
	merged, err := mergeServerEntry(*file, []string{"mcpServers"}, *name, entry)
	if err != nil {
		return err
	}
	w := &fileWriter{dryRun: *dryRun, out: stdout, now: time.Now}
	if err := w.write(*file, merged, 0o600); err != nil {
		return err
	}
	if !*dryRun {
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
