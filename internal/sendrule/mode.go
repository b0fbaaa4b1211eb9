package sendrule

import (
	"fmt"
	"strings"
)

// Mode is an account's send policy.
type Mode string

// The send policies, from most to least restrictive.
const (
	// Disabled: no sending tool is offered for the account.
	Disabled Mode = "disabled"
	// DraftsOnly: compose tools save to Drafts; a human sends from their
	// own mail client.
	DraftsOnly Mode = "drafts_only"
	// Confirm: every send needs an explicit human confirmation (default).
	Confirm Mode = "confirm"
	// Allowlist: sends without confirmation only when every recipient is on
	// the allowlist; otherwise confirm.
	Allowlist Mode = "allowlist"
	// Autonomous: no confirmation; caps and secret warnings still apply.
	Autonomous Mode = "autonomous"
)

// Modes lists the valid modes in documentation order.
func Modes() []Mode { return []Mode{Disabled, DraftsOnly, Confirm, Allowlist, Autonomous} }

// ParseMode reads a mode name; "" is Confirm, the default.
func ParseMode(s string) (Mode, error) {
	if s == "" {
		return Confirm, nil
	}
	for _, m := range Modes() {
		if strings.EqualFold(s, string(m)) {
			return m, nil
		}
	}
	names := make([]string, 0, 5)
	for _, m := range Modes() {
		names = append(names, string(m))
	}
	return "", fmt.Errorf("%q is not a send policy: use one of %s", s, strings.Join(names, ", "))
}

// CanSend reports whether the mode allows submitting mail at all (with or
// without confirmation).
func (m Mode) CanSend() bool { return m == Confirm || m == Allowlist || m == Autonomous }
