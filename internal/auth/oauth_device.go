package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// deviceLogin runs the device authorization grant (RFC 8628): print the
// verification URL and user code, then poll the token endpoint.
func deviceLogin(ctx context.Context, c OAuthConfig, account string, out io.Writer, opts LoginOptions, log *slog.Logger) (*oauth2.Token, error) {
	oc := c.oauth2Config("")
	var extra []oauth2.AuthCodeOption
	if c.ClientSecret != "" {
		extra = append(extra, oauth2.SetAuthURLParam("client_secret", c.ClientSecret.Reveal()))
	}
	da, err := oc.DeviceAuth(c.withClient(ctx), extra...)
	if err != nil {
		return nil, oauthErr("start device login", err)
	}
	if da.DeviceCode == "" || da.UserCode == "" || da.VerificationURI == "" {
		return nil, errors.New("start device login: the provider's answer lacks device_code, user_code or verification_uri")
	}
	fmt.Fprintf(out, "To authorize mailmcp for %s, open\n\n  %s\n\nand enter the code\n\n  %s\n\n", account, da.VerificationURI, da.UserCode)
	if da.VerificationURIComplete != "" {
		fmt.Fprintf(out, "(or open %s, which fills the code in)\n", da.VerificationURIComplete)
	}
	fmt.Fprintln(out, "Waiting for approval …")

	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second // RFC 8628 §3.2 default
	}
	if opts.PollInterval > 0 {
		interval = opts.PollInterval
	}
	step := opts.SlowDownStep
	if step <= 0 {
		step = 5 * time.Second
	}
	if !da.Expiry.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, da.Expiry)
		defer cancel()
	}
	for {
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			if !da.Expiry.IsZero() && !time.Now().Before(da.Expiry) {
				return nil, fmt.Errorf("device login: %w", ErrDeviceCodeExpired)
			}
			return nil, fmt.Errorf("device login: %w", ctx.Err())
		case <-t.C:
		}
		tok, code, err := pollDevice(ctx, c, da.DeviceCode)
		switch code {
		case "":
			if err != nil {
				return nil, err
			}
			return tok, nil
		case "authorization_pending":
			log.Debug("device login pending")
		case "slow_down":
			interval += step
			log.Debug("device login: slowing down", "interval", interval)
		default:
			return nil, err
		}
	}
}

type tokenResponse struct {
	AccessToken      string `json:"access_token"`
	TokenType        string `json:"token_type"`
	RefreshToken     string `json:"refresh_token"`
	ExpiresIn        int64  `json:"expires_in"`
	Scope            string `json:"scope"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// pollDevice makes one device_code token request (RFC 8628 §3.4). It
// returns the RFC 6749 error code, if any, with an *OAuthError.
func pollDevice(ctx context.Context, c OAuthConfig, deviceCode string) (*oauth2.Token, string, error) {
	form := url.Values{
		"grant_type":  {deviceGrantType},
		"device_code": {deviceCode},
		"client_id":   {c.ClientID},
	}
	if c.ClientSecret != "" {
		form.Set("client_secret", c.ClientSecret.Reveal())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, "", fmt.Errorf("device login: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("device login: poll token endpoint: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, "", fmt.Errorf("device login: read token response: %w", err)
	}
	var tr tokenResponse
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		v, _ := url.ParseQuery(string(body))
		tr.AccessToken, tr.TokenType, tr.RefreshToken = v.Get("access_token"), v.Get("token_type"), v.Get("refresh_token")
		tr.Scope, tr.Error, tr.ErrorDescription = v.Get("scope"), v.Get("error"), v.Get("error_description")
		fmt.Sscan(v.Get("expires_in"), &tr.ExpiresIn)
	} else if err := json.Unmarshal(body, &tr); err != nil {
		return nil, "", &OAuthError{Op: "device login", HTTPStatus: resp.StatusCode, ServerDate: serverDate(resp.Header)}
	}
	if tr.Error != "" || resp.StatusCode/100 != 2 {
		oe := &OAuthError{Op: "device login", Code: tr.Error, Description: tr.ErrorDescription,
			HTTPStatus: resp.StatusCode, ServerDate: serverDate(resp.Header)}
		oe.kind = classifyOAuth(oe.Code, oe.Description)
		if oe.Code == "" {
			oe.Code = "http_" + fmt.Sprint(resp.StatusCode)
		}
		return nil, oe.Code, oe
	}
	if tr.AccessToken == "" {
		return nil, "", errors.New("device login: the token response lacks access_token")
	}
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType, RefreshToken: tr.RefreshToken}
	if tr.ExpiresIn > 0 {
		tok.Expiry = time.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	return tok.WithExtra(map[string]any{"scope": tr.Scope}), "", nil
}
