package index_test

import (
	"testing"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestMain stops the Dovecot stack the real-server tests start.
func TestMain(m *testing.M) { testrig.Main(m) }
