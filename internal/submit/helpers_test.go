package submit_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// leakCheck fails the test if goroutines started during it outlive it; it
// runs after every cleanup registered later (servers).
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func splitHostPort(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	return testrig.SplitHostPort(tb, addr)
}
