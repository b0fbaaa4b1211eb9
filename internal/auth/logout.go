package auth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Revoke asks the provider to revoke tok (RFC 7009). Revoking a Google
// refresh token also ends its access tokens. Providers without a revocation
// endpoint (Microsoft) return an error; check cfg.RevokeURL first.
func Revoke(ctx context.Context, cfg OAuthConfig, tok Secret, hint string) error {
	c, err := cfg.Resolve()
	if err != nil {
		return err
	}
	if c.RevokeURL == "" {
		return fmt.Errorf("auth: revoke: provider %s has no revocation endpoint", c.Provider)
	}
	form := url.Values{"token": {tok.Reveal()}, "client_id": {c.ClientID}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	if c.ClientSecret != "" {
		form.Set("client_secret", c.ClientSecret.Reveal())
	}
	// The token goes in the body, never in the URL, where logs would keep it.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.RevokeURL, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("auth: revoke: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("auth: revoke: %w", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	// Google answers 400 invalid_token for a token that is already dead:
	// the goal (no valid token) is met, so only other failures count.
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusBadRequest {
		return fmt.Errorf("auth: revoke: HTTP %d from the revocation endpoint", resp.StatusCode)
	}
	return nil
}

// Logout revokes account's token where the provider supports it, then
// deletes the saved token whatever the revocation's outcome. What happened
// goes to out. An error after deletion means revocation failed; the local
// token is gone either way.
func Logout(ctx context.Context, cfg OAuthConfig, account string, store *TokenStore, out io.Writer) error {
	c, cfgErr := cfg.Resolve()
	var revokeErr error
	var had, revoked bool
	_, err := store.Update(ctx, account, func(cur *Token) (*Token, error) {
		if cur == nil {
			return nil, nil
		}
		had = true
		if cfgErr != nil || c.RevokeURL == "" {
			return nil, nil
		}
		tok, hint := cur.RefreshToken, "refresh_token"
		if tok == "" {
			tok, hint = cur.AccessToken, "access_token"
		}
		if revokeErr = Revoke(ctx, c, tok, hint); revokeErr == nil {
			revoked = true
		}
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("auth: logout %s: %w", account, err)
	}
	if !had {
		fmt.Fprintf(out, "%s has no saved login; nothing to do.\n", account)
		return nil
	}
	fmt.Fprintf(out, "Deleted the saved login of %s.\n", account)
	switch {
	case revoked:
		fmt.Fprintln(out, "The provider revoked the token.")
	case revokeErr != nil:
		fmt.Fprintf(out, "Warning: the provider did not confirm revocation (%v); revoke access in your account's security settings if needed.\n", revokeErr)
		return fmt.Errorf("auth: logout %s: local token deleted, revocation failed: %w", account, revokeErr)
	case c.Provider == ProviderMicrosoft:
		fmt.Fprintln(out, "Microsoft offers no revocation endpoint for these tokens; to cut access now, remove the app at https://myaccount.microsoft.com/ (work) or https://account.live.com/consent/Manage (personal).")
	case cfgErr != nil:
		fmt.Fprintf(out, "Not revoked at the provider: %v\n", cfgErr)
	}
	return nil
}
