package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/config"
)

func newConfigCmd() *cobra.Command {
	var c common
	check := &cobra.Command{
		Use:   "check",
		Short: "validate the configuration and summarise the accounts",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmdConfigCheck(c, cmd.OutOrStdout()) },
	}
	c.register(check.Flags())
	settings := &cobra.Command{
		Use:   "settings",
		Short: "print every setting with its environment variable, as a Markdown table",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(cmd.OutOrStdout(), config.SettingsMarkdown())
			return nil
		},
	}
	return group(&cobra.Command{Use: "config", Short: "validate the configuration or list every setting"}, check, settings)
}

// cmdConfigCheck: mailmcp config check.
func cmdConfigCheck(c common, stdout io.Writer) error {
	cfg, err := config.Load(config.Options{Path: c.configPath})
	var ce *config.Error
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Fprintln(stdout, p.String())
		}
		return fmt.Errorf("%d problem(s) found", len(ce.Problems))
	}
	if err != nil {
		return err
	}
	src := cfg.Path
	if src == "" {
		src = "environment only (no config file at " + config.DefaultPath() + ")"
	}
	fmt.Fprintf(stdout, "config OK: %s\nstate directory: %s\n", src, cfg.StateDir)
	if len(cfg.Accounts) == 0 {
		fmt.Fprintln(stdout, "no account configured: add [[accounts]] to the file or set MAILMCP_EMAIL (see README), or try 'mailmcp demo'")
	}
	for _, a := range cfg.Accounts {
		fmt.Fprintf(stdout, "account %s: %s provider=%s auth=%s imap=%s (%s) smtp=%s (%s)\n",
			a.ID, a.Email, a.Provider, a.Auth, a.IMAP.Address(), a.IMAP.TLS, a.SMTP.Address(), a.SMTP.TLS)
	}
	return nil
}
