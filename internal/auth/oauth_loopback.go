package auth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// authResult is what the loopback listener or the pasted input produced.
type authResult struct {
	code string
	err  error
	via  string
}

// loopbackLogin runs the installed-app flow (RFC 8252): authorization code
// with PKCE S256 (RFC 7636), redirect to http://127.0.0.1:PORT/. Whichever
// comes first wins: the browser's redirect or a redirect URL / code pasted
// on in.
func loopbackLogin(ctx context.Context, c OAuthConfig, account string, in io.Reader, out io.Writer, opts LoginOptions, log *slog.Logger) (*oauth2.Token, error) {
	// RFC 8252 §7.3: the literal loopback IP, not "localhost".
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", c.RedirectPort))
	if err != nil {
		return nil, fmt.Errorf("listen for the OAuth redirect: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", port)
	oc := c.oauth2Config(redirect)
	verifier := oauth2.GenerateVerifier()
	state := randomString(24)
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	if c.Provider == ProviderGoogle {
		// Without both, Google issues no refresh token on a repeat login.
		params = append(params, oauth2.AccessTypeOffline, oauth2.ApprovalForce)
	}
	authURL := oc.AuthCodeURL(state, params...)

	results := make(chan authResult, 4)
	deliver := func(r authResult) {
		select {
		case results <- r:
		default:
		}
	}
	srv := &http.Server{
		Handler:           redirectHandler(state, deliver, log),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(sctx) // lets the "close this window" page finish
	}()

	fmt.Fprintf(out, "To authorize mailmcp for %s, open this address in a browser:\n\n  %s\n\n", account, authURL)
	fmt.Fprintf(out, "Waiting for the browser to return to %s …\n", redirect)
	if in != nil {
		fmt.Fprintf(out, "No browser on this machine? Open the address anywhere, then paste here the full address the browser ends on (it starts with %s, even if the page fails to load) and press Enter.\n", redirect)
		// A read on in cannot be interrupted; the goroutine ends at EOF.
		go readPasted(in, state, deliver)
	}
	if !opts.NoBrowserOpen {
		open := opts.OpenBrowser
		if open == nil {
			open = openBrowser
		}
		go func() {
			if err := open(authURL); err != nil {
				log.Debug("could not open a browser", "err", err)
			}
		}()
	}

	var res authResult
	select {
	case res = <-results:
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for authorization: %w", ctx.Err())
	}
	if res.err != nil {
		return nil, res.err
	}
	log.Debug("authorization code received", "via", res.via)
	tok, err := oc.Exchange(c.withClient(ctx), res.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, oauthErr("exchange authorization code", err)
	}
	return tok, nil
}

func redirectHandler(state string, deliver func(authResult), log *slog.Logger) http.Handler {
	page := func(w http.ResponseWriter, status int, title, text string) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!doctype html><title>mailmcp: %s</title><h1>%s</h1><p>%s</p>\n",
			html.EscapeString(title), html.EscapeString(title), html.EscapeString(text))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		if q.Get("state") != state {
			// Not ours (a stale tab, or a forged request): refuse it and
			// keep waiting for the real redirect.
			log.Warn("ignored OAuth redirect with a wrong state parameter")
			page(w, http.StatusBadRequest, "Wrong login attempt", "This address does not belong to the current mailmcp login. Start again from the address mailmcp printed.")
			return
		}
		code, err := codeFromQuery(q)
		deliver(authResult{code: code, err: err, via: "loopback"})
		if err != nil {
			page(w, http.StatusOK, "Authorization failed", "mailmcp was not authorized ("+err.Error()+"). You can close this window.")
			return
		}
		page(w, http.StatusOK, "mailmcp is authorized", "Authorization received. You can close this window and return to the terminal.")
	})
}

// codeFromQuery reads an authorization response (RFC 6749 §4.1.2).
func codeFromQuery(q url.Values) (string, error) {
	if e := q.Get("error"); e != "" {
		oe := &OAuthError{Op: "authorize", Code: e, Description: q.Get("error_description")}
		oe.kind = classifyOAuth(e, oe.Description)
		return "", oe
	}
	code := q.Get("code")
	if code == "" {
		return "", errors.New("authorization response carries no code")
	}
	return code, nil
}

// readPasted reads lines from in until one holds a redirect URL or a code.
func readPasted(in io.Reader, state string, deliver func(authResult)) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		deliver(parsePasted(line, state))
		return
	}
}

// parsePasted accepts the full redirect URL, its query string, or the bare
// code. A URL or query must carry this attempt's state; a bare code is still
// protected by PKCE, since only this process knows the verifier.
func parsePasted(line, state string) authResult {
	query := ""
	switch {
	case strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://"):
		u, err := url.Parse(line)
		if err != nil {
			return authResult{err: errors.New("the pasted text is not a valid address"), via: "paste"}
		}
		query = u.RawQuery
	case strings.Contains(line, "code=") || strings.Contains(line, "error="):
		query = strings.TrimPrefix(line, "?")
	default:
		return authResult{code: line, via: "paste"}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return authResult{err: errors.New("the pasted address has a malformed query"), via: "paste"}
	}
	if q.Get("state") != state {
		return authResult{err: ErrStateMismatch, via: "paste"}
	}
	code, err := codeFromQuery(q)
	return authResult{code: code, err: err, via: "paste"}
}
