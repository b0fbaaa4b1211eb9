// Package testrig runs a real, private mail stack for integration tests:
// Dovecot 2.3 (IMAP with STARTTLS, IMAPS, LMTP, SASL for Postfix, OAuth2
// token introspection) and Postfix 3.7 (submission with STARTTLS,
// submissions with implicit TLS, an MX-style port) on 127.0.0.1.
//
// Everything lives in one temporary state directory: configurations rendered
// from embedded templates, a test CA and a server certificate generated in Go,
// Maildirs, queues and logs. Ports are chosen free at start. Nothing is
// installed system-wide and no system daemon is touched; the servers run as
// root-started daemons from the private configuration, exactly like in
// production but bound to loopback.
//
// Typical use:
//
//	func TestMain(m *testing.M) { testrig.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		s := testrig.Require(t)          // starts once per test binary
//		u := s.NewUser(t)                // fresh, empty mailbox
//		c, err := imapclient.DialTLS(s.IMAPSAddr(), &imapclient.Options{TLSConfig: s.TLSConfig()})
//		...
//	}
//
// The test process itself serves two small endpoints the servers call back:
// the OAuth 2.0 token-introspection endpoint used by Dovecot's oauth2 passdb
// (so tests can issue and revoke bearer tokens) and a Postfix socketmap that
// tells Postfix which addresses exist (so users added during a test are
// accepted at once). Both read their data from files in the state directory,
// which is what lets other processes attach to a running stack through the
// MAILMCP_RIG environment variable (see cmd/rig).
//
// Mail to domains other than Domain never leaves the machine: Postfix has no
// SMTP client; submission accepts such mail and bounces it locally with a DSN
// to the sender.
//
// Environment:
//
//	MAILMCP_RIG=FILE       attach to the stack described by FILE (written by
//	                       `go run ./internal/testrig/cmd/rig up -json FILE`)
//	                       instead of starting one per test binary
//	MAILMCP_RIG_KEEP=1     keep the state directory (logs, Maildirs) after the
//	                       tests
//	MAILMCP_RIG_INSTALL=0  never run scripts/install-mailstack.sh from Require
//	CI=true                a missing server fails the tests instead of
//	                       skipping them
//
// Behaviour worth knowing when writing tests against the stack:
//   - Dovecot allows MaxUserIPConnections (10) IMAP sessions per user and IP:
//     use a fresh user per test (NewUser) and close clients.
//   - IDLE reports new mail ~0.5 s after delivery (compiled-in Dovecot
//     delay); plain delivery to a visible message takes ~10 ms.
//   - On 127.0.0.1 Dovecot counts a plaintext connection as secure, so LOGIN
//     before STARTTLS is accepted.
//   - Stopping Dovecot takes ~1.1 s (a fixed sleep in its master).
//   - Kill*/Stop*/Restart* act on servers every attached process shares: use
//     them only with the stack your test binary started.
package testrig
