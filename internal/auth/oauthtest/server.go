// Package oauthtest runs a real, local OAuth 2.0 authorization server for
// tests: authorization code with PKCE (RFC 7636, S256 only), the device
// authorization grant (RFC 8628) with scripted answers, refresh with rotation,
// revocation (RFC 7009) and token introspection (RFC 7662).
//
// It listens on 127.0.0.1 through net/http/httptest, keeps every grant in
// memory and counts what it served so tests can assert on it. Nothing is
// simulated on the client side: callers talk HTTP to it exactly as they would
// to Google or Microsoft.
package oauthtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Device-flow script steps. Each poll of the token endpoint with a device code
// consumes one step; once the script is exhausted the grant is approved.
const (
	StepPending  = "authorization_pending"
	StepSlowDown = "slow_down"
	StepDenied   = "access_denied"
	StepExpired  = "expired_token"
)

// Options configure a Server. The zero value is usable.
type Options struct {
	ClientID     string        // default "test-client"
	ClientSecret string        // when set, token requests must carry it
	Username     string        // subject reported by introspection; default "user@example.test"
	AccessTTL    time.Duration // lifetime of access tokens; default 1h, rounded to seconds on the wire
	// KeepRefreshToken disables rotation: a refresh then returns no new
	// refresh token and the old one stays valid. By default every refresh
	// issues a new refresh token and invalidates the one used.
	KeepRefreshToken bool
	// DeviceScript is the sequence of answers to device-code polls before
	// approval (see the Step constants).
	DeviceScript []string
	// DeviceInterval is the polling interval advertised in seconds (0: omitted).
	DeviceInterval int
	// OnIssue, when set, is told every token pair the server issues
	// (refresh is "" when none is issued), so a test can register access
	// tokens with the mail servers' introspection endpoint and scan output
	// for every secret that existed. It runs with the server's lock held:
	// it must not call back into the Server.
	OnIssue func(access, refresh string)
}

// Counters is a snapshot of what the server has handled.
type Counters struct {
	Authorizations  int // authorization redirects issued
	CodeExchanges   int // successful authorization_code grants
	Refreshes       int // successful refresh_token grants
	FailedRefreshes int
	DevicePolls     int
	Revocations     int
	Introspections  int
	TokenErrors     int // every error answer from the token endpoint
}

type accessInfo struct {
	username, scope, clientID string
	expires                   time.Time
}

type codeInfo struct {
	clientID, redirectURI, challenge, scope string
	expires                                 time.Time
}

type deviceInfo struct {
	scope string
	polls []time.Time
	step  int
	done  bool
}

// Server is a running authorization server.
type Server struct {
	// URL is the base address, e.g. http://127.0.0.1:PORT.
	URL string

	opts Options
	hs   *httptest.Server

	mu           sync.Mutex
	codes        map[string]codeInfo
	access       map[string]accessInfo
	refresh      map[string]string // refresh token → scope; present means valid
	devices      map[string]*deviceInfo
	issued       []string
	counters     Counters
	lastAuthzReq url.Values
	refreshErr   *oauthErr
}

type oauthErr struct{ code, desc string }

// New starts a server; call Close when done.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = "test-client"
	}
	if opts.Username == "" {
		opts.Username = "user@example.test"
	}
	if opts.AccessTTL == 0 {
		opts.AccessTTL = time.Hour
	}
	s := &Server{
		opts:    opts,
		codes:   map[string]codeInfo{},
		access:  map[string]accessInfo{},
		refresh: map[string]string{},
		devices: map[string]*deviceInfo{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /authorize", s.handleAuthorize)
	mux.HandleFunc("POST /token", s.handleToken)
	mux.HandleFunc("POST /device", s.handleDevice)
	mux.HandleFunc("POST /revoke", s.handleRevoke)
	mux.HandleFunc("/introspect", s.handleIntrospect) // GET or POST: Dovecot supports both
	s.hs = httptest.NewServer(mux)
	s.URL = s.hs.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.hs.Close() }

// AuthURL, TokenURL, DeviceURL, RevokeURL and IntrospectURL are the endpoints.
func (s *Server) AuthURL() string       { return s.URL + "/authorize" }
func (s *Server) TokenURL() string      { return s.URL + "/token" }
func (s *Server) DeviceURL() string     { return s.URL + "/device" }
func (s *Server) RevokeURL() string     { return s.URL + "/revoke" }
func (s *Server) IntrospectURL() string { return s.URL + "/introspect" }

// ClientID returns the client identifier the server accepts.
func (s *Server) ClientID() string { return s.opts.ClientID }

// Counters returns a snapshot of the counters.
func (s *Server) Counters() Counters {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counters
}

// LastAuthorizeQuery returns the query of the last authorization request.
func (s *Server) LastAuthorizeQuery() url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuthzReq
}

// Issued returns every secret the server has handed out or accepted:
// authorization codes, access tokens, refresh tokens and device codes. Leak
// tests scan logs and errors for them.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// DevicePolls returns the times at which the device code was polled.
func (s *Server) DevicePolls(deviceCode string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d := s.devices[deviceCode]; d != nil {
		return append([]time.Time(nil), d.polls...)
	}
	return nil
}

// DeviceCodes returns every device code issued so far.
func (s *Server) DeviceCodes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for c := range s.devices {
		out = append(out, c)
	}
	return out
}

// IsRefreshTokenValid reports whether rt would be accepted by a refresh.
func (s *Server) IsRefreshTokenValid(rt string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.refresh[rt]
	return ok
}

// ValidRefreshTokens reports how many refresh tokens are currently valid.
func (s *Server) ValidRefreshTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.refresh)
}

// IsAccessTokenActive reports whether at is a known, unexpired access token.
func (s *Server) IsAccessTokenActive(at string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.access[at]
	return ok && time.Now().Before(a.expires)
}

// InvalidateRefreshTokens makes every outstanding refresh token invalid, as a
// provider does when a user revokes access or a Testing-mode token expires.
func (s *Server) InvalidateRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

// FailRefreshWith makes every following refresh fail with this error code and
// description (for example "invalid_grant", "AADSTS70000: ..."). An empty code
// restores normal behaviour.
func (s *Server) FailRefreshWith(code, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		s.refreshErr = nil
		return
	}
	s.refreshErr = &oauthErr{code, description}
}

// IssueRefreshToken mints a valid refresh token outside any flow, for tests
// that start from an existing login.
func (s *Server) IssueRefreshToken(scope string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	rt := s.newSecretLocked("rt")
	s.refresh[rt] = scope
	return rt
}

func (s *Server) newSecretLocked(prefix string) string {
	var b [18]byte
	rand.Read(b[:])
	v := prefix + "-" + base64.RawURLEncoding.EncodeToString(b[:])
	s.issued = append(s.issued, v)
	return v
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastAuthzReq = q
	if q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	// RFC 8252 §7.3: loopback redirects use http and the literal IP.
	if err != nil || redirect.Scheme != "http" || redirect.Hostname() != "127.0.0.1" {
		http.Error(w, "redirect_uri must be http://127.0.0.1:PORT/", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if q.Get("response_type") != "code" {
		back.Set("error", "unsupported_response_type")
	} else if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		back.Set("error", "invalid_request")
		back.Set("error_description", "PKCE with S256 is required")
	} else {
		code := s.newSecretLocked("code")
		s.codes[code] = codeInfo{
			clientID:    q.Get("client_id"),
			redirectURI: q.Get("redirect_uri"),
			challenge:   q.Get("code_challenge"),
			scope:       q.Get("scope"),
			expires:     time.Now().Add(time.Minute),
		}
		back.Set("code", code)
		s.counters.Authorizations++
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// tokenError answers per RFC 6749 §5.2. Caller holds s.mu.
func (s *Server) tokenError(w http.ResponseWriter, status int, code, desc string) {
	s.counters.TokenErrors++
	body := map[string]string{"error": code}
	if desc != "" {
		body["error_description"] = desc
	}
	writeJSON(w, status, body)
}

// clientOK checks client authentication (RFC 6749 §2.3.1, form or Basic).
func (s *Server) clientOK(r *http.Request) bool {
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id != s.opts.ClientID {
		return false
	}
	return s.opts.ClientSecret == "" || secret == s.opts.ClientSecret
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clientOK(r) {
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "authorization_code":
		s.grantCode(w, r)
	case "refresh_token":
		s.grantRefresh(w, r)
	case "urn:ietf:params:oauth:grant-type:device_code":
		s.grantDevice(w, r)
	default:
		s.tokenError(w, http.StatusBadRequest, "unsupported_grant_type", gt)
	}
}

func (s *Server) grantCode(w http.ResponseWriter, r *http.Request) {
	code := r.PostForm.Get("code")
	ci, ok := s.codes[code]
	delete(s.codes, code) // single use, RFC 6749 §4.1.2
	switch {
	case !ok || time.Now().After(ci.expires):
		s.tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown or expired code")
	case ci.redirectURI != r.PostForm.Get("redirect_uri"):
		s.tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri mismatch")
	case !pkceOK(ci.challenge, r.PostForm.Get("code_verifier")):
		s.tokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
	default:
		s.counters.CodeExchanges++
		s.issueLocked(w, ci.scope, true)
	}
}

// pkceOK checks RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge.
func pkceOK(challenge, verifier string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:]) == challenge
}

func (s *Server) grantRefresh(w http.ResponseWriter, r *http.Request) {
	rt := r.PostForm.Get("refresh_token")
	if s.refreshErr != nil {
		s.counters.FailedRefreshes++
		s.tokenError(w, http.StatusBadRequest, s.refreshErr.code, s.refreshErr.desc)
		return
	}
	scope, ok := s.refresh[rt]
	if !ok {
		s.counters.FailedRefreshes++
		s.tokenError(w, http.StatusBadRequest, "invalid_grant", "refresh token is invalid, expired or already used")
		return
	}
	s.counters.Refreshes++
	if s.opts.KeepRefreshToken {
		s.issueLocked(w, scope, false)
		return
	}
	delete(s.refresh, rt)
	s.issueLocked(w, scope, true)
}

func (s *Server) issueLocked(w http.ResponseWriter, scope string, withRefresh bool) {
	at := s.newSecretLocked("at")
	s.access[at] = accessInfo{
		username: s.opts.Username,
		scope:    scope,
		clientID: s.opts.ClientID,
		expires:  time.Now().Add(s.opts.AccessTTL),
	}
	body := map[string]any{
		"access_token": at,
		"token_type":   "Bearer",
		"expires_in":   int(s.opts.AccessTTL.Round(time.Second) / time.Second),
		"scope":        scope,
	}
	rt := ""
	if withRefresh {
		rt = s.newSecretLocked("rt")
		s.refresh[rt] = scope
		body["refresh_token"] = rt
	}
	if s.opts.OnIssue != nil {
		s.opts.OnIssue(at, rt)
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) handleDevice(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.clientOK(r) {
		s.tokenError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	dc := s.newSecretLocked("dc")
	var b [4]byte
	rand.Read(b[:])
	user := strings.ToUpper(base64.RawURLEncoding.EncodeToString(b[:])[:4] + "-" + base64.RawURLEncoding.EncodeToString(b[1:])[:4])
	s.devices[dc] = &deviceInfo{scope: r.PostForm.Get("scope")}
	body := map[string]any{
		"device_code":               dc,
		"user_code":                 user,
		"verification_uri":          s.URL + "/device/verify",
		"verification_uri_complete": s.URL + "/device/verify?user_code=" + user,
		"expires_in":                600,
	}
	if s.opts.DeviceInterval > 0 {
		body["interval"] = s.opts.DeviceInterval
	}
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) grantDevice(w http.ResponseWriter, r *http.Request) {
	d := s.devices[r.PostForm.Get("device_code")]
	if d == nil || d.done {
		s.tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown device code")
		return
	}
	s.counters.DevicePolls++
	d.polls = append(d.polls, time.Now())
	if d.step < len(s.opts.DeviceScript) {
		step := s.opts.DeviceScript[d.step]
		d.step++
		if step == StepDenied || step == StepExpired {
			d.done = true
		}
		s.tokenError(w, http.StatusBadRequest, step, "")
		return
	}
	d.done = true
	s.issueLocked(w, d.scope, true)
}

// handleRevoke implements RFC 7009: the answer is 200 whether or not the
// token was known. Revoking a refresh token also ends its access tokens.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.Revocations++
	if _, ok := s.refresh[tok]; ok {
		delete(s.refresh, tok)
		clear(s.access) // one user per server: all sessions end
	}
	delete(s.access, tok)
	w.WriteHeader(http.StatusOK)
}

// handleIntrospect implements RFC 7662 §2: POST (or GET) token=… answers
// {"active":true,"username":…} for a live access token, {"active":false}
// otherwise. Dovecot's oauth2 passdb can be pointed here.
func (s *Server) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	tok := r.Form.Get("token")
	if tok == "" { // Dovecot may send it as a bearer header instead
		tok = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters.Introspections++
	a, ok := s.access[tok]
	if !ok || time.Now().After(a.expires) {
		writeJSON(w, http.StatusOK, map[string]any{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"active":     true,
		"username":   a.username,
		"email":      a.username,
		"scope":      a.scope,
		"client_id":  a.clientID,
		"token_type": "Bearer",
		"exp":        a.expires.Unix(),
	})
}
