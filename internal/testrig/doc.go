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
package testrig
