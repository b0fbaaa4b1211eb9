package sendrule

import (
	"fmt"
	"net/mail"
	"strings"

	"golang.org/x/net/idna"
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
			a, err := normEntryAddress(e)
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

// Allows reports whether addr (normalised: lower case, ASCII domain, as
// policy.NormAddress returns it) matches.
func (l *AllowList) Allows(addr string) bool {
	if l == nil {
		return false
	}
	if l.addrs[addr] {
		return true
	}
	_, d := SplitAddr(addr)
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

// normEntryAddress normalises an address entry the way policy.NormAddress
// normalises a recipient (compose's rules): net/mail syntax, domain in IDNA
// A-labels with a dot (or localhost), everything lower case.
func normEntryAddress(s string) (string, error) {
	pa, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%q is not a valid email address (%v)", s, err)
	}
	local, domain := SplitAddr(pa.Address)
	if local == "" {
		return "", fmt.Errorf("%q is not a valid email address (want local@domain)", s)
	}
	d, err := normDomain(domain)
	if err != nil {
		return "", err
	}
	if !strings.Contains(d, ".") && d != "localhost" {
		return "", fmt.Errorf("%q has an invalid domain %q", s, domain)
	}
	return strings.ToLower(local) + "@" + d, nil
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

// SplitAddr splits an address at its last '@'; the domain is lower-cased.
func SplitAddr(a string) (local, domain string) {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return a, ""
	}
	return a[:i], strings.ToLower(a[i+1:])
}
