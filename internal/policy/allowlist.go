package policy

import (
	"strings"

	"github.com/mailmcp/mailmcp/compose"
	"github.com/mailmcp/mailmcp/internal/sendrule"
)

// AllowList is the compiled recipient allowlist (see sendrule).
type AllowList = sendrule.AllowList

// NewAllowList validates and compiles allowlist entries.
func NewAllowList(entries []string) (*AllowList, error) { return sendrule.NewAllowList(entries) }

// NormAddress returns the lower-cased bare address with an ASCII (punycode)
// domain, so that comparisons cannot be fooled by case or Unicode forms. It
// accepts exactly the addresses compose accepts for sending.
func NormAddress(s string) (string, error) {
	addr, _, err := parseNorm(s)
	return addr, err
}

// parseNorm parses one address into its normalised addr-spec (see
// NormAddress) and its display name.
func parseNorm(s string) (addr, name string, err error) {
	a, err := compose.ParseAddress(s)
	if err != nil {
		return "", "", err
	}
	return strings.ToLower(a.Email), a.Name, nil
}
