// Package quirks is a test-support IMAP proxy that makes the rig's Dovecot
// look like a provider that cannot run here — Gmail, Outlook/Microsoft 365,
// Yahoo, iCloud — one Profile per provider.
//
// The proxy relays a plain-text IMAP session and edits it in both
// directions: folder names (SELECT, EXAMINE, STATUS, APPEND, COPY, MOVE,
// CREATE, DELETE, RENAME, LIST, LSUB, SUBSCRIBE, UNSUBSCRIBE, as atoms,
// quoted strings or literals; LIST, LSUB and STATUS responses with their
// special-use attributes), capabilities (CAPABILITY responses and response
// codes), and, for Gmail, the X-GM-MSGID, X-GM-THRID and X-GM-LABELS fetch
// items. Everything else is relayed byte for byte.
//
// Every behaviour a profile emulates carries the public source it is taken
// from, beside it in profiles.go; what no public source shows is left out.
// Gmail's All Mail and Starred are real mailboxes: Dovecot's virtual plugin
// (testrig.VirtualAll, testrig.VirtualFlagged), so a message delivered to
// INBOX is in All Mail, moving it out of INBOX leaves it there, and it
// leaves only when it is trashed or expunged — Dovecot keeps that true, the
// proxy only names it.
//
// Production code never imports this package (see imports_test.go).
package quirks
