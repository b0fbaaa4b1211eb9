package watch

import (
	"slices"
	"strings"
)

// Match reports whether e passes the filter.
func (f *Filter) Match(e *Event) bool {
	if len(f.Accounts) > 0 && !slices.Contains(f.Accounts, e.Account) {
		return false
	}
	if len(f.Folders) > 0 && !slices.Contains(f.Folders, e.Folder) {
		return false
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind) {
		return false
	}
	if f.Unseen && (e.Kind != KindMessage || e.Seen()) {
		return false
	}
	if f.From != "" {
		name, addr := e.From()
		want := strings.ToLower(f.From)
		if !strings.Contains(strings.ToLower(addr), want) && !strings.Contains(strings.ToLower(name), want) {
			return false
		}
	}
	return true
}

// SenderAllowed reports whether a message event's sender is on list, whose
// entries are addresses or "@domain" (case-insensitive). An empty list
// allows everyone; events without a sender pass.
func SenderAllowed(e *Event, list []string) bool {
	if len(list) == 0 || e.Kind != KindMessage {
		return true
	}
	_, addr := e.From()
	addr = strings.ToLower(addr)
	for _, s := range list {
		s = strings.ToLower(s)
		if strings.HasPrefix(s, "@") {
			if strings.HasSuffix(addr, s) {
				return true
			}
		} else if addr == s {
			return true
		}
	}
	return false
}
