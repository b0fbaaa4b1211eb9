package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailmcp/mailmcp/internal/auth/oauthtest"
)

// testConfig points a generic provider at srv.
func testConfig(srv *oauthtest.Server, flow string) OAuthConfig {
	return OAuthConfig{
		Provider:  ProviderGeneric,
		ClientID:  srv.ClientID(),
		AuthURL:   srv.AuthURL(),
		TokenURL:  srv.TokenURL(),
		DeviceURL: srv.DeviceURL(),
		RevokeURL: srv.RevokeURL(),
		Scopes:    []string{"mail"},
		Flow:      flow,
	}
}

func testStore(t *testing.T) *TokenStore {
	t.Helper()
	s, err := OpenTokenStore(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// lineWriter collects output and hands every line to a channel, so a test can
// act on what a flow printed (the URL to open) while it runs.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  string
	lines chan string
}

func newLineWriter() *lineWriter { return &lineWriter{lines: make(chan string, 100)} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	w.part += string(p)
	for {
		i := strings.IndexByte(w.part, '\n')
		if i < 0 {
			break
		}
		select {
		case w.lines <- w.part[:i]:
		default:
		}
		w.part = w.part[i+1:]
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitURL returns the first printed line that is an address with prefix.
func (w *lineWriter) waitURL(t *testing.T, prefix string) string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case l := <-w.lines:
			if l = strings.TrimSpace(l); strings.HasPrefix(l, prefix) {
				return l
			}
		case <-timeout:
			t.Fatalf("flow printed no %s address; output:\n%s", prefix, w.String())
		}
	}
}

// introspect asks the OAuth server whether token is live, as Dovecot would.
func introspect(srv *oauthtest.Server, token string) (active bool, username string, err error) {
	resp, err := http.PostForm(srv.IntrospectURL(), url.Values{"token": {token}})
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	var r struct {
		Active   bool   `json:"active"`
		Username string `json:"username"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return false, "", err
	}
	return r.Active, r.Username, nil
}

// xoauth2Server is a server side of XOAUTH2 for go-smtp and go-imap test
// servers. It validates the bearer token by introspection at the OAuth
// server and, on failure, sends Google's JSON error challenge, then ends the
// exchange with an error once the client answers (an empty response).
type xoauth2Server struct {
	srv    *oauthtest.Server
	failed error
	done   bool
	// gotUser records the authenticated user.
	gotUser *string
	// reject is the protocol's failure error (e.g. smtp.ErrAuthFailed).
	reject error
}

func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.failed != nil {
		if len(resp) != 0 {
			return nil, true, fmt.Errorf("expected empty response after error challenge, got %d bytes", len(resp))
		}
		return nil, true, s.failed
	}
	if s.done {
		return nil, true, sasl.ErrUnexpectedClientResponse
	}
	if resp == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	s.done = true
	fields := strings.Split(string(resp), "\x01")
	if len(fields) != 4 || fields[2] != "" || fields[3] != "" ||
		!strings.HasPrefix(fields[0], "user=") || !strings.HasPrefix(fields[1], "auth=Bearer ") {
		return nil, true, fmt.Errorf("malformed XOAUTH2 response")
	}
	user := strings.TrimPrefix(fields[0], "user=")
	token := strings.TrimPrefix(fields[1], "auth=Bearer ")
	active, sub, err := introspect(s.srv, token)
	if err != nil || !active || sub != user {
		s.failed = s.reject
		if s.failed == nil {
			s.failed = fmt.Errorf("invalid token")
		}
		return []byte(`{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}`), false, nil
	}
	if s.gotUser != nil {
		*s.gotUser = user
	}
	return nil, true, nil
}

// oauthBearerServer builds go-sasl's OAUTHBEARER server checking tokens by
// introspection.
func oauthBearerServer(srv *oauthtest.Server, got *sasl.OAuthBearerOptions) sasl.Server {
	return sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
		active, sub, err := introspect(srv, o.Token)
		if err != nil || !active || (o.Username != "" && o.Username != sub) {
			return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer"}
		}
		if got != nil {
			*got = o
		}
		return nil
	})
}

var _ io.Writer = (*lineWriter)(nil)
