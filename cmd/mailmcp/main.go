// Command mailmcp is an MCP server that gives AI agents real email: read,
// search, send, organise and watch mailboxes over IMAP and SMTP.
//
// Run 'mailmcp --help' for the commands; with no command it serves MCP
// over stdio, as MCP clients start it. The command line is built with
// github.com/spf13/cobra (see root.go); this package is only that command
// line and the wiring from flags, environment and config to the engine.
//
// stdout belongs to the MCP protocol in stdio mode: logs go to stderr or
// --log-file, never to stdout.
package main

import (
	"context"
	"errors"
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

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes a command line and returns the exit code: 0 on success
// (and for --help), 2 for bad command-line use, 1 for any other failure.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, err := executeC(ctx, args, stdin, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintf(stderr, "%s: %v\n", cmd.CommandPath(), err)
	if errors.As(err, new(usageError)) || fault.KindOf(err) == fault.Invalid {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 2
	}
	return 1
}

// usageError marks bad command-line use (exit code 2).
type usageError struct{ error }

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
