// Command mailmcp is an MCP server that gives AI agents real email: read,
// search, send, organise and watch mailboxes over IMAP and SMTP.
//
// Usage:
//
//	mailmcp serve [--http ADDR]       serve MCP over stdio (default) or streamable HTTP
//	mailmcp demo [--http ADDR]        serve MCP on the embedded demo mailbox
//	mailmcp tools [--json]            print every tool with its schema
//	mailmcp call [--demo] TOOL [JSON] run one tool and print the result
//	mailmcp config check              validate the configuration
//	mailmcp auth login|status|logout  OAuth 2.0 for Gmail and Microsoft 365
//	mailmcp accounts add              interactive wizard: add a mail account
//	mailmcp doctor                    check config, credentials, servers, TLS
//	mailmcp setup openclaw|claude-desktop|service  connect clients, install the daemon
//	mailmcp version                   print version and commit
//
// stdout belongs to the MCP protocol in stdio mode: logs go to stderr or
// --log-file, never to stdout.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Set with -ldflags "-X main.version=… -X main.commit=…".
var (
	version = "dev"
	commit  = ""
)

const usage = `mailmcp: email for AI agents over MCP (IMAP + SMTP).

Usage:
  mailmcp serve [--http ADDR] [--read-only] [--watch]
                                              MCP over stdio (default) or streamable HTTP at /mcp
  mailmcp demo [--http ADDR] [--print-config] MCP on the embedded demo mailbox (no account needed)
  mailmcp tools [--json]                      print every tool with its input schema
  mailmcp call [--demo] TOOL ['{"json":"args"}'] run one tool and print its result
  mailmcp config check|settings               validate the configuration / print every setting
  mailmcp auth login ACCOUNT [--device|--browser]
                                              OAuth 2.0 login for Gmail and Microsoft 365 (once)
  mailmcp auth status | auth logout ACCOUNT   token state per account / revoke and forget
  mailmcp accounts add                        wizard: add a mail account, test it, write the config
  mailmcp doctor [--account ID]               check config, credentials, IMAP/SMTP, TLS, state dir
  mailmcp setup openclaw [--url URL]          add mailmcp to ~/.openclaw/openclaw.json, write the skill
  mailmcp setup claude-desktop [--print]      add mailmcp to Claude Desktop (--print: Code, VS Code, Cursor)
  mailmcp setup service                       systemd user unit / launchd agent for serve --http
  mailmcp version                             print version and commit

Common flags: --config FILE (or MAILMCP_CONFIG), --log-file FILE, --log-level LEVEL.
Run 'mailmcp COMMAND -h' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "serve":
		err = cmdServe(ctx, rest, stdin, stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, rest, stdin, stdout, stderr)
	case "tools":
		err = cmdTools(rest, stdout, stderr)
	case "call":
		err = cmdCall(ctx, rest, stdout, stderr)
	case "config":
		err = cmdConfig(rest, stdout, stderr)
	case "auth":
		err = cmdAuth(ctx, rest, stdin, stdout, stderr)
	case "accounts":
		err = cmdAccounts(ctx, rest, stdin, stdout, stderr)
	case "doctor":
		err = cmdDoctor(ctx, rest, stdout, stderr)
	case "setup":
		err = cmdSetup(rest, stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, versionString())
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "mailmcp: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "mailmcp %s: %v\n", cmd, err)
	if errors.As(err, new(usageError)) || fault.KindOf(err) == fault.Invalid {
		return 2
	}
	return 1
}

// usageError marks bad command-line use (exit code 2).
type usageError struct{ error }

// Unwrap lets errors.Is see flag.ErrHelp inside, so -h exits 0.
func (u usageError) Unwrap() error { return u.error }

func versionString() string {
	v, c := version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && c == "" {
				c = s.Value
			}
		}
	}
	if c == "" {
		c = "unknown"
	}
	return fmt.Sprintf("mailmcp %s (commit %s)", v, c)
}
