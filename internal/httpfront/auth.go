package httpfront

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/mailmcp/mailmcp/internal/config"
)

// Environment variables for HTTP authentication. Tokens are secrets: they
// come from a file or the environment, never from a flag.
const (
	EnvTokenFile = "MAILMCP_HTTP_TOKEN_FILE"
	EnvToken     = "MAILMCP_HTTP_TOKEN"
	// minTokenLen refuses guessable tokens; 'openssl rand -hex 32' gives 64.
	minTokenLen = 16
)

// tokenSet holds the SHA-256 digests of the accepted bearer tokens. Only
// digests are kept so a presented token is compared in constant time
// whatever its length.
type tokenSet struct {
	digests [][sha256.Size]byte
}

// loadTokens reads tokens from file (one per line; blank lines and lines
// starting with # are ignored) or, when file is empty, from the
// MAILMCP_HTTP_TOKEN_FILE and MAILMCP_HTTP_TOKEN variables. An empty set
// means no authentication.
func loadTokens(file string, getenv func(string) string, log *slog.Logger) (*tokenSet, error) {
	if file == "" {
		file = getenv(EnvTokenFile)
	}
	var raw []string
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read token file: %w", err)
		}
		if st, err := os.Stat(file); err == nil && st.Mode().Perm()&0o077 != 0 {
			log.Warn("the HTTP token file is readable by other users; chmod 600 it", "file", file)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line != "" && !strings.HasPrefix(line, "#") {
				raw = append(raw, line)
			}
		}
		if len(raw) == 0 {
			return nil, fmt.Errorf("token file %s holds no token (one per line)", file)
		}
	} else if t := strings.TrimSpace(getenv(EnvToken)); t != "" {
		raw = append(raw, t)
	}
	ts := &tokenSet{}
	for i, t := range raw {
		if len(t) < minTokenLen {
			return nil, fmt.Errorf("HTTP token %d is shorter than %d characters: generate one with 'openssl rand -hex 32'", i+1, minTokenLen)
		}
		if strings.ContainsAny(t, " \t") {
			return nil, fmt.Errorf("HTTP token %d contains whitespace", i+1)
		}
		ts.digests = append(ts.digests, sha256.Sum256([]byte(t)))
	}
	return ts, nil
}

// enabled reports whether requests must carry a token.
func (ts *tokenSet) enabled() bool { return ts != nil && len(ts.digests) > 0 }

// valid reports whether header is "Bearer <token>" with an accepted token.
// Every configured token is compared, in constant time, so neither the
// position nor the length of a match leaks through timing.
func (ts *tokenSet) valid(header string) bool {
	const prefix = "bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(header[len(prefix):])))
	ok := 0
	for i := range ts.digests {
		ok |= subtle.ConstantTimeCompare(got[:], ts.digests[i][:])
	}
	return ok == 1
}

// requireToken answers 401 with a Bearer challenge unless the request
// carries an accepted token. The header's value is never logged.
func (ts *tokenSet) requireToken(log *slog.Logger, next http.Handler) http.Handler {
	if !ts.enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if ts.valid(h) {
			next.ServeHTTP(w, r)
			return
		}
		reason, challenge := "missing token", `Bearer realm="mailmcp"`
		if h != "" {
			reason, challenge = "invalid token", `Bearer realm="mailmcp", error="invalid_token"`
		}
		log.Warn("unauthorized request", "path", r.URL.Path, "remote", r.RemoteAddr, "reason", reason)
		w.Header().Set("WWW-Authenticate", challenge)
		http.Error(w, "unauthorized: send 'Authorization: Bearer <token>' with a token from the server's token file", http.StatusUnauthorized)
	})
}

// originGuard protects against DNS rebinding and cross-site requests from
// browsers: a request whose Origin header names a site that is neither
// loopback nor in allowed is refused, and so is a request that reached a
// loopback listener under a non-loopback Host name. Clients that are not
// browsers send no Origin and pass.
type originGuard struct {
	allowed map[string]bool // normalised scheme://host[:port]
}

func newOriginGuard(allow []string) (*originGuard, error) {
	g := &originGuard{allowed: map[string]bool{}}
	for _, a := range allow {
		n, ok := normalOrigin(a)
		if !ok {
			return nil, fmt.Errorf("--allow-origin %q: want scheme://host[:port], e.g. https://app.example.com", a)
		}
		g.allowed[n] = true
	}
	return g, nil
}

// normalOrigin lower-cases an origin and checks it has a scheme and host.
func normalOrigin(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// allows reports whether a request with this Origin and Host may proceed.
func (g *originGuard) allows(origin, host string, localLoopback bool) bool {
	if localLoopback && !IsLoopbackName(host) {
		return false
	}
	if origin == "" {
		return true
	}
	n, ok := normalOrigin(origin)
	if !ok {
		return false // "null" and garbage
	}
	if g.allowed[n] {
		return true
	}
	u, _ := url.Parse(n)
	return IsLoopbackName(u.Host)
}

func (g *originGuard) wrap(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		loop := local != nil && IsLoopbackName(local.String())
		if !g.allows(r.Header.Get("Origin"), r.Host, loop) {
			log.Warn("request refused: origin not allowed", "path", r.URL.Path, "remote", r.RemoteAddr,
				"origin", r.Header.Get("Origin"), "host", r.Host)
			http.Error(w, "forbidden: origin not allowed (start mailmcp with --allow-origin to admit a web app)", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IsLoopbackName reports whether host (optionally with a port) is
// localhost or a loopback IP.
func IsLoopbackName(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = strings.Trim(hostport, "[]")
	}
	return config.IsLoopback(host) || strings.HasSuffix(strings.ToLower(host), ".localhost")
}
