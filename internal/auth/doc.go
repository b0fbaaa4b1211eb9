// Package auth holds everything mailmcp needs to prove who it is to a mail
// server: passwords resolved from the environment, a file or a command;
// SASL clients (SCRAM, CRAM-MD5, PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) for
// go-imap and go-smtp; the logins that use them on IMAP and SMTP submission
// (PasswordLogin, OAuthLogin: one value serves both, so a password command
// runs once);
// OAuth 2.0 logins for Google (loopback redirect + PKCE) and Microsoft
// (device code); a token store shared safely by many mailmcp processes; and
// diagnostics that turn providers' raw failures into the next step to take.
//
// Secrets travel as [Secret], whose every printed form is "[redacted]". No
// function in this package writes a secret to a log, an error or an
// io.Writer; the only human-facing output is the login instructions (URL and
// device user code).
//
// Of mailmcp it imports only internal/fault (the error vocabulary): config,
// the engine (imapconn, submit) and the CLI depend on it, never the reverse.
package auth
