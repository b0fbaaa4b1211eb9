package main

import (
	"context"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/doctor"
)

// doctorFlags are doctor's own flags.
type doctorFlags struct {
	account string
	timeout time.Duration
}

func newDoctorCmd() *cobra.Command {
	var c common
	var d doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "check config, credentials, IMAP/SMTP, TLS and the state directory",
		Long: `Check the configuration, each account's credentials, IMAP and SMTP
connectivity and login, TLS certificates, IMAP capabilities and the state
directory; print a fix under every failure. Exit code 1 when a check fails.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdDoctor(cmd.Context(), c, d, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	c.register(cmd.Flags())
	cmd.Flags().StringVar(&d.account, "account", "", "check only this account")
	cmd.Flags().DurationVar(&d.timeout, "timeout", 15*time.Second, "bound for each network check")
	_ = cmd.RegisterFlagCompletionFunc("account", completeAccounts(&c))
	return cmd
}

// cmdDoctor checks the configuration, credentials, connectivity, TLS
// certificates, IMAP capabilities and the state directory.
func cmdDoctor(ctx context.Context, c common, d doctorFlags, stdout, stderr io.Writer) error {
	log, closeLog, err := c.logger(stderr, "error")
	if err != nil {
		return err
	}
	defer closeLog()
	return doctor.Run(ctx, doctor.Options{ConfigPath: c.configPath, Account: d.account, Timeout: d.timeout, Log: log, Wiring: doctorWiring()}, stdout)
}

// doctorWiring hands doctor the account wiring serving uses.
func doctorWiring() doctor.Wiring {
	return doctor.Wiring{Account: engineAccount, Password: passwordSource, OAuthProvider: authProvider, Tokens: openTokens}
}
