package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
)

// authProvider maps a mail provider preset to its OAuth provider.
func authProvider(p config.Provider) string {
	switch p {
	case config.ProviderGmail:
		return auth.ProviderGoogle
	case config.ProviderOutlook:
		return auth.ProviderMicrosoft
	}
	return auth.ProviderGeneric
}

// oauthConfig builds the OAuth client settings of an account, reading the
// client secret (when the app has one) from its source.
func oauthConfig(a *config.Account) (auth.OAuthConfig, error) {
	oc := auth.OAuthConfig{
		Provider: authProvider(a.Provider), ClientID: a.OAuth.ClientID, Tenant: a.OAuth.Tenant,
		AuthURL: a.OAuth.AuthURL, TokenURL: a.OAuth.TokenURL, DeviceURL: a.OAuth.DeviceURL, Scopes: a.OAuth.Scopes,
	}
	src := auth.SecretSource{Env: a.OAuth.ClientSecretEnv, File: a.OAuth.ClientSecretFile}
	if !src.IsZero() {
		s, _, err := src.Resolve(context.Background())
		if err != nil {
			return oc, fmt.Errorf("oauth client secret: %w", err)
		}
		oc.ClientSecret = s
	}
	return oc, nil
}

// loginFlags are auth login's flags.
type loginFlags struct{ browser, device, noOpen bool }

func newAuthCmd() *cobra.Command {
	var c common
	var lf loginFlags
	login := &cobra.Command{
		Use:   "login ACCOUNT",
		Short: "log in once with OAuth 2.0 and store the refresh token",
		Long: `Log ACCOUNT in with OAuth 2.0 (Gmail, Microsoft 365, or a generic provider)
and store its refresh token in the state directory; serving refreshes it
from then on. Gmail uses the browser (loopback redirect + PKCE; on a
headless host paste the redirect URL); Microsoft uses a device code unless
--browser is given.`,
		Args:              rangeArgs(1, 1, "the account id: mailmcp auth login ACCOUNT"),
		ValidArgsFunction: completeAccounts(&c),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdAuthLogin(cmd.Context(), c, lf, args[0], cmd.InOrStdin(), cmd.ErrOrStderr())
		},
	}
	c.register(login.Flags())
	login.Flags().BoolVar(&lf.browser, "browser", false, "Microsoft: use the browser (auth code + PKCE) instead of the device code")
	login.Flags().BoolVar(&lf.device, "device", false, "use the device-code flow (the default for Microsoft; generic providers need oauth.device_url)")
	login.Flags().BoolVar(&lf.noOpen, "no-open", false, "do not try to open a browser; print the URL only")

	status := &cobra.Command{
		Use:   "status",
		Short: "show each account's credential and token state",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdAuthStatus(c, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	c.register(status.Flags())

	logout := &cobra.Command{
		Use:               "logout ACCOUNT",
		Short:             "revoke ACCOUNT's token with the provider and forget it",
		Args:              rangeArgs(1, 1, "the account id: mailmcp auth logout ACCOUNT"),
		ValidArgsFunction: completeAccounts(&c),
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmdAuthLogout(cmd.Context(), c, args[0], cmd.ErrOrStderr())
		},
	}
	c.register(logout.Flags())
	return group(&cobra.Command{Use: "auth", Short: "OAuth 2.0 login, status and logout for Gmail and Microsoft 365"}, login, status, logout)
}

// completeAccounts completes an account id from the configuration.
func completeAccounts(c *common) cobra.CompletionFunc {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := config.Load(config.Options{Path: c.configPath})
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return cfg.AccountIDs(), cobra.ShellCompDirectiveNoFileComp
	}
}

// authEnv is what every auth command needs: the config, a logger and the
// token store.
type authEnv struct {
	cfg   *config.Config
	log   *slog.Logger
	store *auth.TokenStore
	close func()
}

func openAuth(c common, stderr io.Writer) (*authEnv, error) {
	cfg, err := config.Load(config.Options{Path: c.configPath})
	if err != nil {
		return nil, err
	}
	// These commands talk to a person, who reads their errors once; the
	// config's log_level is for the server. --log-level still applies.
	log, closeLog, err := c.logger(stderr, "warn")
	if err != nil {
		return nil, err
	}
	store, err := openTokens(cfg, log)
	if err != nil {
		closeLog()
		return nil, err
	}
	return &authEnv{cfg: cfg, log: log, store: store, close: closeLog}, nil
}

// oauthAccount finds account id and checks that it uses OAuth.
func (e *authEnv) oauthAccount(id string) (*config.Account, auth.OAuthConfig, error) {
	a := e.cfg.Account(id)
	if a == nil {
		return nil, auth.OAuthConfig{}, fmt.Errorf("no account %q in %s (accounts: %v)", id, e.cfg.Path, e.cfg.AccountIDs())
	}
	if a.Auth != config.AuthOAuth2 {
		return nil, auth.OAuthConfig{}, fmt.Errorf("account %s uses a password, not OAuth: set auth = \"oauth2\" and oauth.client_id to use OAuth", a.ID)
	}
	oc, err := oauthConfig(a)
	return a, oc, err
}

func cmdAuthStatus(c common, stdout, stderr io.Writer) error {
	e, err := openAuth(c, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	if len(e.cfg.Accounts) == 0 {
		fmt.Fprintln(stdout, "no account configured: run 'mailmcp accounts add', or try 'mailmcp demo'")
		return nil
	}
	var in []auth.StatusInput
	for i := range e.cfg.Accounts {
		a := &e.cfg.Accounts[i]
		si := auth.StatusInput{Account: a.ID, Provider: authProvider(a.Provider), Method: auth.MethodPassword, Password: passwordSource(a)}
		if a.Auth == config.AuthOAuth2 {
			si.Method = auth.MethodOAuth
		}
		in = append(in, si)
	}
	auth.WriteStatus(stdout, auth.Status(e.store, in))
	return nil
}

func cmdAuthLogout(ctx context.Context, c common, id string, stderr io.Writer) error {
	e, err := openAuth(c, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	a, oc, err := e.oauthAccount(id)
	if err != nil {
		return err
	}
	return auth.Logout(ctx, oc, a.ID, e.store, stderr)
}

// cmdAuthLogin runs the OAuth login. Human-facing text goes to stderr:
// stdout may be a pipe to a client.
func cmdAuthLogin(ctx context.Context, c common, lf loginFlags, id string, stdin io.Reader, stderr io.Writer) error {
	if lf.browser && lf.device {
		return usageError{fmt.Errorf("--browser and --device exclude each other")}
	}
	e, err := openAuth(c, stderr)
	if err != nil {
		return err
	}
	defer e.close()
	a, oc, err := e.oauthAccount(id)
	if err != nil {
		return err
	}
	opts := auth.LoginOptions{NoBrowserOpen: lf.noOpen, Logger: e.log}
	switch {
	case lf.browser:
		opts.Flow = auth.FlowLoopback
	case lf.device:
		if oc.Provider == auth.ProviderGoogle {
			return fmt.Errorf("google refuses the device flow for the mail scope: run 'mailmcp auth login %s' without --device (it prints a URL to open anywhere and accepts the pasted redirect)", a.ID)
		}
		opts.Flow = auth.FlowDevice
	}
	in := &eofNotice{r: stdin, out: stderr}
	err = auth.Login(ctx, oc, a.ID, e.store, in, stderr, opts)
	return explainLogin(err, a.ID, oc.Provider, in.closed())
}
