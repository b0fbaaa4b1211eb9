// Package submit hands composed messages to an SMTP submission server
// (RFC 6409): implicit TLS or STARTTLS (RFC 3207), EHLO with a real name,
// AUTH through an Authenticator (auth.PasswordLogin and auth.OAuthLogin),
// SMTPUTF8 and DSN parameters, per-recipient outcomes, and a hook right
// before the final "." so a journal can tell "nothing sent" from "outcome
// unknown". Every error is a *fault.Error; Permanent tells a failure that a
// retry will repeat from one that may pass later.
//
// It is the peer of imapconn (IMAP), not part of it: neither imports the
// other. One Submit owns its connection from dial to QUIT and closes it
// when the caller's context ends.
package submit
