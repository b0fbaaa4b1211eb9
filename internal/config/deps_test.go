package config

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDepsStayLight checks that validating a configuration does not pull in
// the send machinery: config must not import policy, compose or goldmark
// (the Markdown renderer) just to check an address or an allowlist.
func TestDepsStayLight(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasSuffix(dep, "/internal/policy") || strings.HasSuffix(dep, "mailmcp/compose") || strings.Contains(dep, "goldmark") {
			t.Errorf("config depends on %s", dep)
		}
	}
}
