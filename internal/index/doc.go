// Package index is the local mail index of one account: a SQLite database
// (modernc.org/sqlite, pure Go, no cgo) in the state directory holding, per
// message, the envelope fields, the flags, and the text fetch_message shows
// (the parse package's result, bounded), with a full-text index over it.
// search answers from it when it can (instantly, and while the server is
// unreachable), fetch_message reads from it offline.
//
// # Why SQLite FTS5
//
// scripts/indexbench measured both candidates on 10,000 synthetic messages
// on this 2-core machine: SQLite FTS5 built in 10.8 s, 36.9 MB on disk,
// warm 20-newest queries 0.10 ms (subject), 0.84 ms (from), 0.07 ms (body),
// 65 MB peak RSS; bleve v2 took 53.2 s, 70.9 MB and 376 MB peak RSS. SQLite
// also gives transactions, WAL snapshots for concurrent readers and
// integrity checks, which an index shared by several processes needs.
//
// # Same results as the server
//
// IMAP SEARCH (RFC 9051 6.4.4) matches a case-insensitive substring
// (Dovecot: the i;unicode-casemap comparator). Word tokenizers (unicode61)
// match words and prefixes only: "essag" finds nothing where the server
// finds "Message". The index therefore uses FTS5's trigram tokenizer with
// case folding: a quoted MATCH string is a case-insensitive substring test
// answered from the trigram index, so no post-filter is needed and counts
// are exact. A term shorter than three characters cannot be answered from
// trigrams; such searches go to the server. Size is the price (about three
// times a word index): measured, 0.30 times the mailbox for the real
// messages of the test corpus, 3.5 times for the ~310-byte generated ones
// (whose kept text and envelope alone exceed half their size).
//
// # Counting
//
// A page of the 20 newest matches streams from the full-text index (rowid
// order is UID order) and costs about a millisecond at 100k messages; an
// exact total of a common term cost 15-75 ms. Counting therefore stops
// after CountCap (1,000) matches and the result says the total is at least
// that (Result.AtLeast); below it, totals are exact and equal the server's.
//
// What the index matches: FROM/TO/CC/SUBJECT against the decoded header
// values, BODY against the rendered text (for HTML mail that is the visible
// text, where a server without full-text search also matches markup).
// SINCE/BEFORE compare arrival time (INTERNALDATE), LARGER/SMALLER
// RFC822.SIZE, flags the server's flags as of the last sync. TEXT (which
// covers every header field; keeping them all would double the index),
// header, thread and Gmail-query criteria go to the server.
//
// # Consistency
//
// Rows are keyed by (folder, UIDVALIDITY, UID): a folder whose UIDVALIDITY
// changes is emptied and refilled, so two generations never mix. Each
// cycle diffs every folder with the server: listing only what changed
// since the last HIGHESTMODSEQ on CONDSTORE servers, every message
// otherwise (see listing); an expunged message is gone after one cycle. One
// process writes (it holds an flock on <db>.lock); others open the database
// and read consistent WAL snapshots. At open the database is checked with
// PRAGMA quick_check; a damaged file is never served: the writer removes it
// and rebuilds, a reader treats the index as absent.
package index
