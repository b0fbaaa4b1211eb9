// Package watch follows IMAP folders for changes and turns them into a
// durable, resumable change feed.
//
// # Watchers
//
// A Watcher either owns a dedicated IMAP connection (never one from the
// command pool: nothing else can be sent while IDLE runs) or takes turns on
// its account's shared one. The Hub gives a dedicated connection to the
// first Target.IdleConnections folders of an account (default 1, INBOX);
// every other folder is visited every poll interval on one connection the
// account's polled watchers share (STATUS, then SELECT and the catch-up
// only when STATUS shows a change, then UNSELECT), so an account's watchers
// hold at most IdleConnections + 1 connections however many folders they
// follow. Where the server offers NOTIFY (RFC 5465), the account's first
// dedicated connection asks to be told of new and expunged messages in the
// polled folders; go-imap drops the unsolicited STATUS responses that
// carry the news, so a tap on the connection's stream (imapconn.DialConn)
// sees them and wakes the folder's watcher for a visit at once. Polling
// goes on regardless: NOTIFY makes it sooner, never needed for correctness.
//
// A dedicated watcher selects
// the folder, catches up from the folder's durable checkpoint, then IDLEs
// (RFC 2177), re-issuing IDLE before the 29-minute limit. Untagged EXISTS,
// EXPUNGE and FETCH responses wake it; it ends IDLE, fetches what changed,
// commits the events, and IDLEs again. Every command runs under the
// engine's watchdog (imapconn.Guard). A quiet timer ends IDLE and sends NOOP
// when the server has been silent for a while (Dovecot says "Still here"
// every two minutes); a failed NOOP, a dropped connection or any protocol
// error closes the connection and the watcher reconnects with exponential
// backoff and jitter. Servers without IDLE are polled with NOOP.
//
// Some servers accept IDLE and never announce anything (Cyrus). So an
// idling watcher also ends IDLE every poll interval, sends NOOP and looks
// for mail above the highest UID it knows (SEARCH UID <n+1>:*). A check
// that finds mail no EXISTS announced marks the server as not pushing and
// checks stay at the poll interval; each push seen during IDLE doubles the
// interval, up to the IDLE refresh.
//
// # Checkpoints and exactly-once emission
//
// Each folder's checkpoint (UIDVALIDITY, the last UID emitted and, with
// CONDSTORE, the HIGHESTMODSEQ up to which flag changes were emitted) is
// kept in the store. Events are appended in the same transaction that
// re-reads and advances the checkpoint, so a message is emitted once even
// when several processes watch the same folder, and a restart or reconnect
// resumes from the checkpoint. A reconnect costs one small command whatever
// the folder's size: SEARCH UID <n+1>:* for the messages above the
// highest UID this process knew (nothing when UIDNEXT says none), then a
// UID FETCH of exactly those; the folder is listed (compactly with ESEARCH)
// only on a process's first connection or when EXISTS shows that messages
// vanished meanwhile. With CONDSTORE, flag changes are asked for only when
// HIGHESTMODSEQ moved past the checkpoint's. A first start records the folder's
// current state and emits nothing; a changed UIDVALIDITY emits a reset event
// and starts over from the folder's current state.
//
// Flag changes come from FETCH (FLAGS) CHANGEDSINCE (RFC 7162) when the
// server has CONDSTORE, otherwise from unilateral FETCH responses while the
// watcher is connected. Expunges are reported while connected and for
// messages that disappeared while the same process was reconnecting; a
// message expunged while no process watched is not reported. (QRESYNC would
// report those, but go-imap v2 beta.8 cannot parse VANISHED.)
//
// # The feed
//
// Events get increasing ids from the store; a cursor is an event id. Feed
// keeps the last MaxEvents events (and none older than MaxAge). Consumers
// (the watch_inbox tool, MCP resource subscriptions) read after a cursor and
// wait on Feed.Changed; sinks (webhook queues) are filled inside the append
// transaction, so an event is never appended without its deliveries.
//
// # Event schema (JSON)
//
//	{
//	  "id": 42,                        // event id; the cursor
//	  "kind": "message",               // message | flags | expunged | reset
//	  "account": "work", "folder": "INBOX",
//	  "uid_validity": 1700000000, "uid": 1234,
//	  "message_id": "m1.…",            // id for fetch_message (not for reset)
//	  "time": "2026-11-22T10:00:00.123Z",        // appended at
//	  "observed_at": "2026-11-22T10:00:00.118Z", // server change seen at
//	  "envelope": {…},                 // message: as search returns it
//	  "snippet": "first ~200 chars",   // message: bounded, quotes dropped
//	  "body": "…",                     // message: only when configured
//	  "flags": ["seen"],               // message, flags
//	  "previous_uid_validity": 1       // reset
//	}
package watch
