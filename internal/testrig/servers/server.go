package servers

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/quirks"
)

// Names of the servers, in the order the conformance suite runs them.
const (
	Dovecot = "dovecot"
	Mox     = "mox"
	Maddy   = "maddy"
	Cyrus   = "cyrus"
)

// All lists every server the suite runs against.
var All = []string{Dovecot, Mox, Maddy, Cyrus}

// TLS modes of an endpoint, spelled like mailmcp's configuration.
const (
	TLSPlain    = "plain"
	TLSStartTLS = "starttls"
	TLSImplicit = "implicit"
)

// Endpoint is one listener of a server.
type Endpoint struct {
	Host string
	Port int
	TLS  string // TLSPlain, TLSStartTLS or TLSImplicit
}

// User is one mailbox: Username is what LOGIN and SMTP AUTH take.
type User struct{ Email, Username, Password string }

// Server is one running IMAP server (with an SMTP submission endpoint of
// its own, or a sink that delivers into its INBOXes).
type Server struct {
	Name    string
	Version string
	IMAP    Endpoint
	SMTP    Endpoint
	// TLS verifies the server's certificate (nil for plain endpoints).
	TLS *tls.Config
	// Shared is true when every User is the same mailbox (mox localserve
	// has one account): tests must then tell their messages and folders
	// apart by unique names, and not run in parallel with each other.
	Shared bool

	newUser func(hint string) (User, error)
	close   func() error
}

// NewUser returns a mailbox for the test: a fresh empty one, except on a
// Shared server.
func (s *Server) NewUser(tb testing.TB) User {
	tb.Helper()
	u, err := s.newUser(tb.Name())
	if err != nil {
		tb.Fatalf("servers: %s: new user: %v", s.Name, err)
	}
	return u
}

// starters start one server each; they are registered by the files that
// know the server.
var starters = map[string]func() (*Server, error){}

var atExitOnce sync.Once

// started is one server's start, done once per test binary.
type started struct {
	once sync.Once
	srv  *Server
	err  error
}

var running struct {
	mu sync.Mutex
	m  map[string]*started
}

// Require returns the named server, starting it on first use. When it
// cannot run here the test is skipped (failed under CI=true).
func Require(tb testing.TB, name string) *Server {
	tb.Helper()
	if name == Dovecot {
		return dovecot(tb) // testrig starts (or skips) it once per binary
	}
	if _, ok := quirks.Profiles[name]; ok {
		return quirk(tb, name)
	}
	start, ok := starters[name]
	if !ok {
		tb.Fatalf("servers: unknown server %q", name)
	}
	running.mu.Lock()
	if running.m == nil {
		running.m = map[string]*started{}
	}
	st := running.m[name]
	if st == nil {
		st = &started{}
		running.m[name] = st
	}
	running.mu.Unlock()
	st.once.Do(func() {
		atExitOnce.Do(func() { testrig.AtExit(CloseAll) })
		st.srv, st.err = start()
	})
	if st.err != nil {
		var un unavailableError
		if errors.As(st.err, &un) && !testrig.IsCI() {
			tb.Skipf("servers: !!! %s unavailable here, SKIPPING: %v", name, st.err)
		}
		tb.Fatalf("servers: %s: %v", name, st.err)
	}
	return st.srv
}

// CloseAll stops every server this process started (testrig.Main calls it
// through testrig.AtExit).
func CloseAll() error {
	running.mu.Lock()
	defer running.mu.Unlock()
	var first error
	for name, st := range running.m {
		if st.srv == nil || st.srv.close == nil {
			continue
		}
		if err := st.srv.close(); err != nil && first == nil {
			first = fmt.Errorf("stop %s: %w", name, err)
		}
	}
	running.m = nil
	return first
}
