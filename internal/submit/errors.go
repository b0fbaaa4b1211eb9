package submit

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/parse"
)

// ErrOutcomeUnknown is wrapped by a submission error when the connection
// failed after the message's final "." was sent but before the server's
// reply: the server may or may not have accepted it. A sender that must not
// duplicate mail should not blindly resubmit (it may check the recipient
// side, or accept the small risk); errors.Is(err, ErrOutcomeUnknown).
var ErrOutcomeUnknown = errors.New("the server may have accepted the message: the connection failed while waiting for its reply")

// RecipientError is one recipient the server refused at RCPT TO.
type RecipientError struct {
	Address string `json:"address"`
	// Code is the SMTP reply code (e.g. 550, 452); Enhanced the RFC 3463
	// status ("5.1.1"), empty when the server sent none.
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"`
	Message  string `json:"message"`
	// Permanent is true for 5xx replies: retrying will not help.
	Permanent bool `json:"permanent"`
}

func (r RecipientError) Error() string {
	return fmt.Sprintf("%s refused: %s", r.Address, replyText(r.Code, r.Enhanced, r.Message))
}

// Permanent reports whether a Submit (or other engine) error will fail the
// same way when retried: an SMTP 5xx reply, a refused login, invalid input,
// a missing server capability. Network failures, timeouts and 4xx replies
// are transient ("try again later"). A nil error is not permanent.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrOutcomeUnknown) {
		return false
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return se.Code/100 == 5
	}
	switch fault.KindOf(err) {
	case fault.Invalid, fault.Auth, fault.Unsupported, fault.ReadOnly, fault.NotFound, fault.Stale:
		return true
	case fault.Server:
		var me *fault.Error
		// A server error without an SMTP reply (a protocol violation) is
		// not worth retrying blindly either.
		return errors.As(err, &me)
	}
	return false
}

// Reply returns the SMTP reply inside err (code, enhanced status and
// text), if the failure was a server reply.
func Reply(err error) (code int, enhanced, text string, ok bool) {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		return 0, "", "", false
	}
	return se.Code, enhancedString(se.EnhancedCode), oneLine(se.Message), true
}

func enhancedString(c smtp.EnhancedCode) string {
	if c == (smtp.EnhancedCode{}) || c == smtp.NoEnhancedCode {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", c[0], c[1], c[2])
}

func replyText(code int, enhanced, msg string) string {
	s := fmt.Sprint(code)
	if enhanced != "" {
		s += " " + enhanced
	}
	return s + " " + msg
}

// oneLine joins a multi-line reply and bounds it.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return strings.Join(strings.Fields(parse.SanitizeText(s)), " ")
}

// smtpFail classifies an error from step op of a submission to server.
func smtpFail(op, server string, err error, ctxErr error) error {
	var me *fault.Error
	if errors.As(err, &me) {
		return err
	}
	switch {
	case errors.Is(ctxErr, context.DeadlineExceeded):
		return &fault.Error{Kind: fault.Timeout, Op: op, Err: fmt.Errorf("%s: the SMTP server %s did not answer in time", op, server),
			Hint: "Nothing was sent unless the result says otherwise; try again later"}
	case ctxErr != nil:
		return &fault.Error{Kind: fault.Cancelled, Op: op, Err: fmt.Errorf("%s: cancelled", op)}
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		text := replyText(se.Code, enhancedString(se.EnhancedCode), oneLine(se.Message))
		if se.Code/100 == 4 {
			return &fault.Error{Kind: fault.Server, Op: op, Err: fmt.Errorf("%s: the SMTP server %s said %s: %w", op, server, text, se),
				Hint: "This is temporary; try again later"}
		}
		return &fault.Error{Kind: fault.Server, Op: op, Err: fmt.Errorf("%s: the SMTP server %s refused: %s: %w", op, server, text, se)}
	}
	return &fault.Error{Kind: fault.ConnLost, Op: op, Err: fmt.Errorf("%s: the connection to the SMTP server %s failed: %v", op, server, err),
		Hint: "This is temporary; try again later"}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
