package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
)

// authProvider maps a mail provider preset to its OAuth provider.
func authProvider(p string) string {
	switch p {
	case "gmail":
		return auth.ProviderGoogle
	case "outlook":
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

// cmdAuth: mailmcp auth login ACCOUNT | status | logout ACCOUNT.
func cmdAuth(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{fmt.Errorf("want login ACCOUNT, status or logout ACCOUNT")}
	}
	sub := args[0]
	fs := flag.NewFlagSet("auth "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs)
	browser := fs.Bool("browser", false, "Microsoft: use the browser (auth code + PKCE) instead of the device code")
	device := fs.Bool("device", false, "use the device-code flow (the default for Microsoft; generic providers need oauth.device_url)")
	noOpen := fs.Bool("no-open", false, "do not try to open a browser; print the URL only")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return usageError{err}
	}
	cfg, err := config.Load(config.Options{Path: c.configPath})
	if err != nil {
		return err
	}
	log, closeLog, err := c.logger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer closeLog()
	store, err := auth.OpenTokenStore(cfg.StateDir, log)
	if err != nil {
		return err
	}
	switch sub {
	case "status":
		var in []auth.StatusInput
		for i := range cfg.Accounts {
			a := &cfg.Accounts[i]
			si := auth.StatusInput{Account: a.ID, Provider: authProvider(a.Provider), Method: auth.MethodPassword, Password: passwordSource(a)}
			if a.Auth == config.AuthOAuth2 {
				si.Method = auth.MethodOAuth
			}
			in = append(in, si)
		}
		auth.WriteStatus(stdout, auth.Status(store, in))
		return nil
	case "login", "logout":
		if len(pos) != 1 {
			return usageError{fmt.Errorf("want the account id: mailmcp auth %s ACCOUNT", sub)}
		}
		a := cfg.Account(pos[0])
		if a == nil {
			return fmt.Errorf("no account %q in %s (accounts: %v)", pos[0], cfg.Path, cfg.AccountIDs())
		}
		if a.Auth != config.AuthOAuth2 {
			return fmt.Errorf("account %s uses a password, not OAuth: set auth = \"oauth2\" and oauth.client_id to use OAuth", a.ID)
		}
		oc, err := oauthConfig(a)
		if err != nil {
			return err
		}
		if sub == "logout" {
			return auth.Logout(ctx, oc, a.ID, store, stderr)
		}
		opts := auth.LoginOptions{NoBrowserOpen: *noOpen, Logger: log}
		switch {
		case *browser && *device:
			return usageError{fmt.Errorf("--browser and --device exclude each other")}
		case *browser:
			opts.Flow = auth.FlowLoopback
		case *device:
			if oc.Provider == auth.ProviderGoogle {
				return fmt.Errorf("google refuses the device flow for the mail scope: run 'mailmcp auth login %s' without --device (it prints a URL to open anywhere and accepts the pasted redirect)", a.ID)
			}
			opts.Flow = auth.FlowDevice
		}
		// Human-facing text goes to stderr: stdout may be a pipe to a client.
		return auth.Login(ctx, oc, a.ID, store, stdin, stderr, opts)
	}
	return usageError{fmt.Errorf("unknown auth command %q: want login, status or logout", sub)}
}
