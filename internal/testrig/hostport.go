package testrig

import (
	"net"
	"strconv"
	"testing"
)

// SplitHostPort splits a rig address ("127.0.0.1:1234") into the host and
// numeric port an account's endpoint takes, failing the test on a bad one.
func SplitHostPort(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	host, ps, err := net.SplitHostPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	port, err := strconv.Atoi(ps)
	if err != nil {
		tb.Fatal(err)
	}
	return host, port
}
