package oauthtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func config(s *Server, redirect string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    s.ClientID(),
		Endpoint:    oauth2.Endpoint{AuthURL: s.AuthURL(), TokenURL: s.TokenURL(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: redirect,
		Scopes:      []string{"mail"},
	}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authorize(t *testing.T, c *oauth2.Config, opts ...oauth2.AuthCodeOption) url.Values {
	t.Helper()
	resp, err := noFollow.Get(c.AuthCodeURL("st", opts...))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s %v", resp.Status, err)
	}
	return loc.Query()
}

func TestPKCE(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	c := config(s, "http://127.0.0.1:1/")
	ctx := context.Background()
	v := oauth2.GenerateVerifier()

	q := authorize(t, c, oauth2.S256ChallengeOption(v))
	if q.Get("state") != "st" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	_, err := c.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier()))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("wrong verifier: err = %v, want invalid_grant", err)
	}
	// The code is single-use even after a failed attempt.
	if _, err := c.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err == nil {
		t.Fatal("code reused")
	}
	q = authorize(t, c, oauth2.S256ChallengeOption(v))
	tok, err := c.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("right verifier: %v", err)
	}
	// No PKCE at all is refused at the authorize step.
	if q := authorize(t, c); q.Get("error") != "invalid_request" {
		t.Fatalf("no PKCE: %v", q)
	}
	// Redirect URI must match the one authorized.
	q = authorize(t, c, oauth2.S256ChallengeOption(v))
	c2 := config(s, "http://127.0.0.1:2/")
	if _, err := c2.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v)); err == nil {
		t.Fatal("redirect_uri mismatch accepted")
	}
}

func introspect(t *testing.T, s *Server, tok string) map[string]any {
	t.Helper()
	resp, err := http.PostForm(s.IntrospectURL(), url.Values{"token": {tok}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return m
}

func TestRotationIntrospectionRevocation(t *testing.T) {
	s := New(Options{Username: "bob@example.test"})
	defer s.Close()
	c := config(s, "")
	ctx := context.Background()
	rt := s.IssueRefreshToken("mail")
	tok, err := c.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == rt || s.IsRefreshTokenValid(rt) || !s.IsRefreshTokenValid(tok.RefreshToken) {
		t.Fatal("refresh did not rotate")
	}
	if _, err := c.TokenSource(ctx, &oauth2.Token{RefreshToken: rt}).Token(); err == nil {
		t.Fatal("used refresh token accepted again")
	}
	m := introspect(t, s, tok.AccessToken)
	if m["active"] != true || m["username"] != "bob@example.test" || m["scope"] != "mail" {
		t.Fatalf("introspection %v", m)
	}
	if m := introspect(t, s, "bogus"); m["active"] != false {
		t.Fatalf("bogus token %v", m)
	}
	resp, err := http.PostForm(s.RevokeURL(), url.Values{"token": {tok.RefreshToken}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("revoke: %v", err)
	}
	resp.Body.Close()
	if s.IsRefreshTokenValid(tok.RefreshToken) || introspect(t, s, tok.AccessToken)["active"] != false {
		t.Fatal("revocation left tokens alive")
	}
	if c := s.Counters(); c.Refreshes != 1 || c.FailedRefreshes != 1 || c.Revocations != 1 || c.Introspections != 3 {
		t.Fatalf("counters %+v", c)
	}
}

func TestAccessTokenExpires(t *testing.T) {
	s := New(Options{AccessTTL: 50 * time.Millisecond})
	defer s.Close()
	tok, err := config(s, "").TokenSource(context.Background(), &oauth2.Token{RefreshToken: s.IssueRefreshToken("m")}).Token()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(80 * time.Millisecond)
	if s.IsAccessTokenActive(tok.AccessToken) {
		t.Fatal("expired token active")
	}
}
