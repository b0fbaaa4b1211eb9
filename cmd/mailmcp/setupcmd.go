package main

import (
	"runtime"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailmcp/mailmcp/internal/setup"
)

// setupCommon are the flags of every setup target.
type setupCommon struct {
	dryRun     bool
	configPath string
	command    string
}

func (s *setupCommon) register(fs *pflag.FlagSet) {
	fs.BoolVar(&s.dryRun, "dry-run", false, "print what would be written; change nothing")
	fs.StringVar(&s.configPath, "config", "", "mailmcp config `FILE` to pass to the server (default: mailmcp's default)")
	fs.StringVar(&s.command, "command", "", "mailmcp binary the client starts (default: this binary)")
}

// newSetupCmd: mailmcp setup openclaw | claude-desktop | service.
func newSetupCmd() *cobra.Command {
	var sc setupCommon
	var oc setup.OpenClawOptions
	openclaw := &cobra.Command{
		Use:   "openclaw",
		Short: "add mailmcp to ~/.openclaw/openclaw.json and write the mailmcp skill",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			oc.DryRun, oc.ConfigPath, oc.Command = sc.dryRun, sc.configPath, sc.command
			return setup.OpenClaw(oc, c.OutOrStdout(), c.ErrOrStderr())
		},
	}
	fs := openclaw.Flags()
	sc.register(fs)
	fs.StringVar(&oc.File, "file", "", "OpenClaw config `FILE` (default ~/.openclaw/openclaw.json)")
	fs.StringVar(&oc.Name, "name", "email", "server name in OpenClaw (tools appear as NAME__search, ...)")
	fs.StringVar(&oc.URL, "url", "", "use the mailmcp daemon at this streamable HTTP `URL` (e.g. http://127.0.0.1:8025/mcp) instead of starting mailmcp per session over stdio")
	fs.StringVar(&oc.TokenEnv, "token-env", "", "with --url: environment variable OpenClaw expands into the bearer token (default MAILMCP_HTTP_TOKEN; - for none)")
	fs.StringVar(&oc.SkillsDir, "skills-dir", "", "where to write the mailmcp skill (default ~/.openclaw/skills)")
	fs.BoolVar(&oc.NoSkill, "no-skill", false, "do not write the skill folder")

	var cd setup.ClaudeDesktopOptions
	claude := &cobra.Command{
		Use:     "claude-desktop",
		Aliases: []string{"clients"},
		Short:   "add mailmcp to Claude Desktop (--print: config for Claude Code, VS Code, Cursor)",
		Args:    noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cd.DryRun, cd.ConfigPath, cd.Command = sc.dryRun, sc.configPath, sc.command
			return setup.ClaudeDesktop(cd, c.OutOrStdout())
		},
	}
	fs = claude.Flags()
	sc.register(fs)
	fs.BoolVar(&cd.Print, "print", false, "print the configuration for Claude Desktop, Claude Code, VS Code and Cursor; write nothing")
	fs.StringVar(&cd.File, "file", "", "Claude Desktop config `FILE` (default: the platform's location)")
	fs.StringVar(&cd.Name, "name", "email", "server name")

	var so setup.ServiceOptions
	service := &cobra.Command{
		Use:   "service",
		Short: "install a systemd user unit (Linux) or launchd agent (macOS) running serve --http",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			so.DryRun, so.ConfigPath, so.Command = sc.dryRun, sc.configPath, sc.command
			return setup.Service(so, c.OutOrStdout())
		},
	}
	fs = service.Flags()
	sc.register(fs)
	fs.StringVar(&so.OS, "os", runtime.GOOS, "service manager to write for: linux (systemd --user) or darwin (launchd)")
	fs.StringVar(&so.Addr, "http", "127.0.0.1:8025", "`ADDR` the daemon listens on")
	fs.StringVar(&so.TokenFile, "token-file", "", "HTTP bearer token `FILE` (default: http-tokens beside the config file; created with a random token when missing)")

	return group(&cobra.Command{Use: "setup", Short: "connect OpenClaw or Claude to mailmcp, or install the daemon as a service"}, openclaw, claude, service)
}
