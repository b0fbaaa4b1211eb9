// Package servers runs the IMAP servers besides Dovecot that mailmcp's
// conformance suite is checked against — mox, maddy and Cyrus IMAP — each
// on free loopback ports with its data in a temporary directory, and
// presents them, together with testrig's Dovecot and the provider profiles
// of internal/testrig/quirks (Gmail, Outlook, Yahoo, iCloud: a proxy in
// front of that Dovecot, quirks.go), behind one small interface.
//
// The programs come from scripts/install-servers.sh, which builds mox and
// maddy at pinned versions and unpacks Debian's cyrus-imapd into a stable
// cache directory ($MAILMCP_SERVERS, default ~/.cache/mailmcp/servers);
// Require runs it when a program is missing. A server that cannot run here
// skips the tests that need it with one loud line, or fails them under
// CI=true.
//
// Each server is started at most once per test binary, on first use, and
// stopped by testrig.Main at exit (and by the kernel, through
// Pdeathsig, if the test binary dies first).
//
// What each server is and how it differs is written beside its start code
// (dovecot.go, mox.go, maddy.go, cyrus.go); the README's "Tested servers" table summarises it.
package servers
