package tools

import (
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestMain lets tests use the real Dovecot and Postfix (testrig.Require);
// the stack starts on first use only and is stopped when the tests end.
func TestMain(m *testing.M) { testrig.Main(m) }
