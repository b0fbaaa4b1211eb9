package policy

import "github.com/mailmcp/mailmcp/internal/sendrule"

// Mode is an account's send policy (see sendrule).
type Mode = sendrule.Mode

// The send policies, from most to least restrictive.
const (
	Disabled   = sendrule.Disabled
	DraftsOnly = sendrule.DraftsOnly
	Confirm    = sendrule.Confirm
	Allowlist  = sendrule.Allowlist
	Autonomous = sendrule.Autonomous
)
