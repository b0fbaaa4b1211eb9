package compose

import "fmt"

// Code says which rule an input broke.
type Code string

// Error codes.
const (
	CodeHeaderInjection   Code = "header_injection"    // CR or LF (or NUL) in a header value
	CodeInvalidAddress    Code = "invalid_address"     // unparseable or unusable address
	CodeNoRecipients      Code = "no_recipients"       // nothing in To, Cc or Bcc (drafts excepted)
	CodeTooManyRecipients Code = "too_many_recipients" // over Limits.MaxRecipients
	CodeTooLarge          Code = "too_large"           // over Limits.MaxBytes
	CodeAttachment        Code = "attachment"          // an attachment cannot be read or is malformed
	CodePathOutside       Code = "path_outside"        // an attachment path escapes the allowed directory
	CodeInvalid           Code = "invalid"             // other malformed input
)

// Error is a validation error in a message to compose. It is the caller's
// (the agent's) fault and the message says exactly what to change.
type Error struct {
	Code  Code
	Field string // "to", "subject", "attachments[2]", …; may be empty
	Msg   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("compose: %s: %s", e.Field, e.Msg)
	}
	return "compose: " + e.Msg
}

func errf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}
