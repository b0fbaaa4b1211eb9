package submit

import (
	"errors"
	"net"
	"testing"
)

func TestHeloName(t *testing.T) {
	defer func(f func() (string, error)) { osHostname = f }(osHostname)
	conn := &fakeAddrConn{local: &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1}}
	for _, c := range []struct {
		host string
		err  error
		from string
		want string
	}{
		{"mail.example.net", nil, "a@example.org", "mail.example.net"},
		{"vm", nil, "a@example.org", "example.org"},
		{"localhost.localdomain", nil, "a@example.org", "example.org"},
		{"", errors.New("no name"), "a@example.org", "example.org"},
		{"vm", nil, "a@localhost", "[192.0.2.7]"},
		{"bad_name.example", nil, "", "[192.0.2.7]"},
	} {
		osHostname = func() (string, error) { return c.host, c.err }
		if got := heloName(conn, c.from); got != c.want {
			t.Errorf("heloName(host %q, from %q) = %q, want %q", c.host, c.from, got, c.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "localhost": true, "127.3.4.5": true,
		"10.0.0.1": false, "mail.example.org": false, "vm": false} {
		if isLoopback(host) != want {
			t.Errorf("isLoopback(%q) = %v", host, !want)
		}
	}
}

type fakeAddrConn struct {
	net.Conn
	local net.Addr
}

func (f *fakeAddrConn) LocalAddr() net.Addr { return f.local }
