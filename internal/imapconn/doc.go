// Package imapconn is mailmcp's mail engine: a bounded, health-checked IMAP
// connection pool per account, deadline-bound commands (go-imap v2 has no
// timeouts of its own, so a watchdog closes the connection when the caller's
// context ends), stable message ids, folder roles, search and fetch.
//
// Ownership: a Manager owns one Pool per account; a Pool owns its
// connections and the janitor goroutine that closes idle ones. Close shuts
// them down in that order.
package imapconn
