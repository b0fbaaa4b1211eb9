package servers

import (
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/quirks"
)

// Names of the provider profiles: internal/testrig/quirks in front of the
// rig's Dovecot (for IMAP; submission is the rig's Postfix).
const (
	Gmail   = "gmail"
	Outlook = "outlook"
	Yahoo   = "yahoo"
	ICloud  = "icloud"
)

// Profiles lists the emulated providers, in the order the conformance
// suite runs them. They share the one rig Dovecot: each is a proxy.
var Profiles = []string{Gmail, Outlook, Yahoo, ICloud}

var proxies struct {
	mu   sync.Mutex
	m    map[string]*quirks.Proxy
	subs map[string]*quirks.Submission
}

// quirk presents the named provider profile as a Server: its proxy on a
// loopback port (plain IMAP; Dovecot treats loopback as secure) relaying
// to the rig Dovecot's plain IMAP listener, started once per test binary.
func quirk(tb testing.TB, name string) *Server {
	tb.Helper()
	d := dovecot(tb)
	s := testrig.Require(tb)
	proxies.mu.Lock()
	defer proxies.mu.Unlock()
	if proxies.m == nil {
		proxies.m = map[string]*quirks.Proxy{}
		proxies.subs = map[string]*quirks.Submission{}
		testrig.AtExit(closeProxies)
	}
	prof := quirks.Profiles[name]
	px := proxies.m[name]
	if px == nil {
		var err error
		if px, err = quirks.Start(s.IMAPAddr(), prof); err != nil {
			tb.Fatalf("servers: %s: %v", name, err)
		}
		proxies.m[name] = px
		if prof.SentSaved != "" {
			sub, err := quirks.StartSubmission(s.SubmissionAddr(), s.TLSConfig(), s.IMAPAddr())
			if err != nil {
				tb.Fatalf("servers: %s: %v", name, err)
			}
			proxies.subs[name] = sub
		}
	}
	srv := &Server{
		Name: name, Version: "quirk proxy in front of Dovecot",
		IMAP:    plainEndpoint(px.Addr()),
		SMTP:    d.SMTP,
		TLS:     d.TLS,
		newUser: d.newUser,
	}
	if sub := proxies.subs[name]; sub != nil {
		// The provider's SMTP files the Sent copy: a relay that does.
		srv.SMTP = plainEndpoint(sub.Addr())
	}
	return srv
}

func plainEndpoint(addr string) Endpoint {
	h, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	return Endpoint{Host: h, Port: port, TLS: TLSPlain}
}

func closeProxies() error {
	proxies.mu.Lock()
	defer proxies.mu.Unlock()
	var first error
	for _, px := range proxies.m {
		if err := px.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, sub := range proxies.subs {
		if err := sub.Close(); err != nil && first == nil {
			first = err
		}
	}
	proxies.m, proxies.subs = nil, nil
	return first
}
