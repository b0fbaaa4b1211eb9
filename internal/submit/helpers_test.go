package submit_test

import (
	"net"
	"strconv"
	"testing"

	"go.uber.org/goleak"
)

// leakCheck fails the test if goroutines started during it outlive it; it
// runs after every cleanup registered later (servers).
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func splitHostPort(tb testing.TB, addr string) (string, int) {
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
