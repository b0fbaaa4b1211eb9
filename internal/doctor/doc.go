// Package doctor checks that mailmcp can work where it runs: the
// configuration loads, the state directory is writable, each account's
// password resolves or its OAuth token is saved, its IMAP and SMTP servers
// answer over TCP and TLS (STARTTLS through go-imap and go-smtp), their
// certificates are valid for a while yet, the logins succeed the way
// serving does them, and the IMAP server has the capabilities mailmcp
// relies on. Each check prints one line; a problem's line says how to fix
// it, once.
package doctor
