package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/mailmcp/mailmcp/internal/config"
)

// cmdConfig: mailmcp config check | settings.
func cmdConfig(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "check" && args[0] != "settings") {
		return usageError{fmt.Errorf("want 'check' or 'settings'")}
	}
	if args[0] == "settings" {
		fmt.Fprint(stdout, config.SettingsMarkdown())
		return nil
	}
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err}
	}
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
