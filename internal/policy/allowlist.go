package policy

import (
	"fmt"
	"strings"

	"golang.org/x/net/idna"

	"github.com/mailmcp/mailmcp/compose"
)

// AllowList matches recipient addresses against addresses and domains.
// Entries: "pat@example.org" (one address), "example.org" or "@example.org"
// (that domain only), "*.example.org" (its subdomains, not itself).
type AllowList struct {
	addrs   map[string]bool
	domains map[string]bool
	suffix  []string
}

// NewAllowList validates and compiles entries.
func NewAllowList(entries []string) (*AllowList, error) {
	l := &AllowList{addrs: map[string]bool{}, domains: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
			continue
		case strings.HasPrefix(e, "*."):
			d, err := normDomain(e[2:])
			if err != nil {
				return nil, fmt.Errorf("allowlist entry %q: %w", e, err)
			}
			l.suffix = append(l.suffix, "."+d)
		case strings.HasPrefix(e, "@"):
			d, err := normDomain(e[1:])
			if err != nil {
				return nil, fmt.Errorf("allowlist entry %q: %w", e, err)
			}
			l.domains[d] = true
		case strings.Contains(e, "@"):
			a, err := NormAddress(e)
			if err != nil {
				return nil, fmt.Errorf("allowlist entry %q: %w", e, err)
			}
			l.addrs[a] = true
		default:
			d, err := normDomain(e)
			if err != nil {
				return nil, fmt.Errorf("allowlist entry %q: %w", e, err)
			}
			l.domains[d] = true
		}
	}
	return l, nil
}

// Allows reports whether addr (already normalised by NormAddress) matches.
func (l *AllowList) Allows(addr string) bool {
	if l == nil {
		return false
	}
	if l.addrs[addr] {
		return true
	}
	_, d := splitAddr(addr)
	if l.domains[d] {
		return true
	}
	for _, s := range l.suffix {
		if strings.HasSuffix(d, s) {
			return true
		}
	}
	return false
}

// Empty reports whether the list has no entries.
func (l *AllowList) Empty() bool {
	return l == nil || len(l.addrs)+len(l.domains)+len(l.suffix) == 0
}

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

func normDomain(d string) (string, error) {
	d = strings.TrimSuffix(strings.TrimSpace(d), ".")
	if d == "" {
		return "", fmt.Errorf("empty domain")
	}
	a, err := idna.Lookup.ToASCII(d)
	if err != nil {
		return "", fmt.Errorf("domain %q: %w", d, err)
	}
	return strings.ToLower(a), nil
}

func splitAddr(a string) (local, domain string) {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a, ""
	}
	return a[:i], strings.ToLower(a[i+1:])
}
