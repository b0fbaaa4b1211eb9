// Package fault is mailmcp's one error vocabulary. Every package that can
// fail in a way an agent or a person should act on returns a *Error: a Kind
// that says who is at fault and what to do, the operation that failed, an
// optional hint (the next step) and whether repeating the same call may
// succeed. The cause is wrapped with %w, so errors.As still reaches typed
// protocol errors (*imap.Error, *smtp.SMTPError, *fs.PathError) beneath.
//
// The tool layer maps a *Error to a tool result in exactly one place; the
// audit log reads Kind as a value. Anything that is not a *Error reaching
// the tool layer is reported as KindInternal: a bug, not the agent's fault.
//
// fault imports only the standard library, so every package may use it.
package fault
