package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/doctor"
	"github.com/mailmcp/mailmcp/internal/setup"
)

// cmdSetup: mailmcp setup openclaw | claude-desktop | service.
func cmdSetup(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{errors.New("want openclaw, claude-desktop or service")}
	}
	fs := flag.NewFlagSet("setup "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dryRun := fs.Bool("dry-run", false, "print what would be written; change nothing")
	configPath := fs.String("config", "", "mailmcp config file to pass to the server (default: mailmcp's default)")
	command := fs.String("command", "", "mailmcp binary the client starts (default: this binary)")
	switch args[0] {
	case "openclaw":
		o := setup.OpenClawOptions{}
		fs.StringVar(&o.File, "file", "", "OpenClaw config file (default ~/.openclaw/openclaw.json)")
		fs.StringVar(&o.Name, "name", "email", "server name in OpenClaw (tools appear as NAME__search, ...)")
		fs.StringVar(&o.URL, "url", "", "use the mailmcp daemon at this streamable HTTP URL (e.g. http://127.0.0.1:8025/mcp) instead of starting mailmcp per session over stdio")
		fs.StringVar(&o.TokenEnv, "token-env", "", "with --url: environment variable OpenClaw expands into the bearer token (default MAILMCP_HTTP_TOKEN; - for none)")
		fs.StringVar(&o.SkillsDir, "skills-dir", "", "where to write the mailmcp skill (default ~/.openclaw/skills)")
		fs.BoolVar(&o.NoSkill, "no-skill", false, "do not write the skill folder")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		o.DryRun, o.ConfigPath, o.Command = *dryRun, *configPath, *command
		return setup.OpenClaw(o, stdout, stderr)
	case "claude-desktop", "clients":
		o := setup.ClaudeDesktopOptions{}
		fs.BoolVar(&o.Print, "print", false, "print the configuration for Claude Desktop, Claude Code, VS Code and Cursor; write nothing")
		fs.StringVar(&o.File, "file", "", "Claude Desktop config file (default: the platform's location)")
		fs.StringVar(&o.Name, "name", "email", "server name")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		o.DryRun, o.ConfigPath, o.Command = *dryRun, *configPath, *command
		return setup.ClaudeDesktop(o, stdout)
	case "service":
		o := setup.ServiceOptions{}
		fs.StringVar(&o.OS, "os", runtime.GOOS, "service manager to write for: linux (systemd --user) or darwin (launchd)")
		fs.StringVar(&o.Addr, "http", "127.0.0.1:8025", "address the daemon listens on")
		fs.StringVar(&o.TokenFile, "token-file", "", "HTTP bearer token file (default: http-tokens beside the config file; created with a random token when missing)")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err}
		}
		o.DryRun, o.ConfigPath, o.Command = *dryRun, *configPath, *command
		return setup.Service(o, stdout)
	}
	return usageError{fmt.Errorf("unknown setup target %q: want openclaw, claude-desktop or service", args[0])}
}

// cmdAccounts: mailmcp accounts add.
func cmdAccounts(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return usageError{errors.New("want 'add'")}
	}
	fs := flag.NewFlagSet("accounts add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	skipTest := fs.Bool("no-test", false, "write the account without the live connection test")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
	o := setup.AccountOptions{ConfigPath: c.configPath}
	if !*skipTest {
		o.Check = func(ctx context.Context, cfg *config.Config, id string, out io.Writer) bool {
			return doctor.CheckAccount(ctx, cfg, id, doctor.Options{Log: slog.New(slog.DiscardHandler), Wiring: doctorWiring()}, out)
		}
	}
	return setup.AddAccount(ctx, o, stdin, stdout)
}

// cmdDoctor checks the configuration, credentials, connectivity, TLS
// certificates, IMAP capabilities and the state directory.
func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	only := fs.String("account", "", "check only this account")
	timeout := fs.Duration("timeout", 15*time.Second, "bound for each network check")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	log, closeLog, err := c.logger(stderr, "error")
	if err != nil {
		return err
	}
	defer closeLog()
	return doctor.Run(ctx, doctor.Options{ConfigPath: c.configPath, Account: *only, Timeout: *timeout, Log: log, Wiring: doctorWiring()}, stdout)
}

// doctorWiring hands doctor the account wiring serving uses.
func doctorWiring() doctor.Wiring {
	return doctor.Wiring{Account: engineAccount, Password: passwordSource, OAuthProvider: authProvider}
}
