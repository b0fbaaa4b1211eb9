package main

import (
	"os"
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestMain lets the test binary act as the mailmcp binary when re-executed
// with MAILMCP_TEST_AS_BINARY=1, so end-to-end tests run the real program
// (its stdio, signals and exit codes) without a separate build.
func TestMain(m *testing.M) {
	if os.Getenv("MAILMCP_TEST_AS_BINARY") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	// The real-server tests share one private Dovecot + Postfix stack,
	// started on first use and torn down here.
	testrig.Main(m)
}
