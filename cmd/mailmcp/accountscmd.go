package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/doctor"
	"github.com/mailmcp/mailmcp/internal/setup"
)

// newAccountsCmd: mailmcp accounts add.
func newAccountsCmd() *cobra.Command {
	var c common
	var noTest bool
	add := &cobra.Command{
		Use:   "add",
		Short: "wizard: add a mail account, test it, write the config",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdAccountsAdd(cmd.Context(), c, noTest, cmd.InOrStdin(), cmd.OutOrStdout())
		},
	}
	c.register(add.Flags())
	add.Flags().BoolVar(&noTest, "no-test", false, "write the account without the live connection test")
	return group(&cobra.Command{Use: "accounts", Short: "add a mail account with a wizard"}, add)
}

func cmdAccountsAdd(ctx context.Context, c common, noTest bool, stdin io.Reader, stdout io.Writer) error {
	o := setup.AccountOptions{ConfigPath: c.configPath}
	if !noTest {
		o.Check = func(ctx context.Context, cfg *config.Config, id string, out io.Writer) bool {
			return doctor.CheckAccount(ctx, cfg, id, doctor.Options{Log: slog.New(slog.DiscardHandler), Wiring: doctorWiring()}, out)
		}
	}
	return setup.AddAccount(ctx, o, stdin, stdout)
}
