// Package demo runs mailmcp's embedded demo mail service on loopback: a real
// IMAP server (go-imap's imapserver over its in-memory backend) and a real
// SMTP submission server (go-smtp) that delivers mail for the demo domain into
// the same store, so messages sent through the tools show up in the demo
// INBOX and IDLE clients see them arrive.
package demo
