package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// The command line uses github.com/spf13/cobra rather than hand-written
// dispatch over the standard flag package: it gives every command its own
// flag set and --help (exit 0), one-line descriptions in 'mailmcp --help',
// flags anywhere among the arguments, "did you mean" suggestions, and
// shell completion for bash, zsh, fish and PowerShell — all of which the
// hand-written dispatch lacked or approximated.

const rootLong = `mailmcp: email for AI agents over MCP (IMAP + SMTP).

With no command it runs 'serve': MCP over stdin/stdout, the way MCP clients
(OpenClaw, Claude Desktop, Claude Code, VS Code, Cursor) start it. In that
mode stdout belongs to the protocol: logs go to stderr or --log-file.

Try it without an account: 'mailmcp demo', or 'mailmcp call --demo search'.
Configuration: --config FILE or $MAILMCP_CONFIG (default
$XDG_CONFIG_HOME/mailmcp/config.toml); 'mailmcp config settings' lists
every setting and its environment variable.`

// executeC runs the command line args (no args: serve) and returns the
// command that ran, for error messages.
func executeC(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (*cobra.Command, error) {
	if len(args) == 0 {
		args = []string{"serve"}
	}
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContextC(ctx)
}

// execute is executeC for callers that need only the error.
func execute(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	_, err := executeC(ctx, args, stdin, stdout, stderr)
	return err
}

func newRootCmd() *cobra.Command {
	cobra.EnableCommandSorting = false
	root := &cobra.Command{
		Use:           "mailmcp",
		Short:         "email for AI agents over MCP (IMAP + SMTP)",
		Long:          rootLong,
		Version:       versionString(),
		SilenceErrors: true, // run prints them once, with the command's path
		SilenceUsage:  true, // an error is not a reason to print the whole help
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRun,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddGroup(
		&cobra.Group{ID: "serve", Title: "Serve MCP:"},
		&cobra.Group{ID: "setup", Title: "Set up:"},
		&cobra.Group{ID: "inspect", Title: "Try and inspect:"},
	)
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			root.AddCommand(c)
		}
	}
	add("serve", newServeCmd(), newDemoCmd())
	add("setup", newAccountsCmd(), newAuthCmd(), newSetupCmd())
	add("inspect", newToolsCmd(), newCallCmd(), newConfigCmd(), newIndexCmd(), newDoctorCmd(), newVersionCmd())
	root.SetHelpCommandGroupID("inspect")
	root.SetCompletionCommandGroupID("setup")
	return root
}

// group makes c a command that only holds subcommands: without one, or
// with an unknown one, it is a usage error (exit 2) naming the choices.
func group(c *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	c.Args = cobra.ArbitraryArgs
	c.RunE = groupRun
	c.AddCommand(subs...)
	return c
}

func groupRun(c *cobra.Command, args []string) error {
	var names []string
	for _, s := range c.Commands() {
		if s.IsAvailableCommand() && s.Name() != "help" && s.Name() != "completion" {
			names = append(names, s.Name())
		}
	}
	want := strings.Join(names, ", ")
	if len(args) == 0 {
		return usageError{fmt.Errorf("want a command: %s", want)}
	}
	msg := fmt.Sprintf("unknown command %q: want %s", args[0], want)
	if c.SuggestionsMinimumDistance <= 0 {
		c.SuggestionsMinimumDistance = 2
	}
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
	}
	return usageError{fmt.Errorf("%s", msg)}
}

// noArgs, exactArgs and rangeArgs check positional arguments, failing
// with a usage error (exit 2) that says what is wanted.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", args[0])}
	}
	return nil
}

func rangeArgs(min, max int, want string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < min || len(args) > max {
			return usageError{fmt.Errorf("want %s", want)}
		}
		return nil
	}
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "print version and commit", Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			fmt.Fprintln(c.OutOrStdout(), versionString())
			return nil
		},
	}
}
