// Package outbox sends mail exactly once through a durable journal in the
// state store.
//
// # Life of a send
//
// Enqueue writes the message bytes to <state>/outbox/<id>.eml (fsynced) and
// then, in one store transaction, checks the idempotency index and records
// the item as queued. Only then is anything submitted. An attempt claims the
// item in a transaction (queued → submitting, owned by this process), hands
// it to the Transport, and records the outcome in another:
//
//   - every recipient accepted → sent; the Sent copy and follow-ups
//     (\Answered on the original, removing a sent draft) run afterwards and
//     are recorded separately: a failed Sent copy never makes a send failed;
//   - some recipients refused permanently, others accepted → sent with the
//     refusals listed (partial);
//   - recipients refused transiently (4xx) or the whole transaction failed
//     transiently (network, 4xx) → queued again for only the recipients not
//     yet accepted, after exponential backoff with jitter; given up (failed)
//     after MaxAge;
//   - permanent failure (5xx) → failed, with the server's text.
//
// The ENVID of the submission is the outbox id, so delivery-status reports
// (RFC 3464) that arrive later are linked back to the item (LinkReport), as
// are reports that quote the Message-ID.
//
// # Exactly once, and what is guaranteed
//
// The same idempotency key on the same account maps to one item forever
// (send_draft uses the draft's id when no key is given). A retried call finds
// the item and reports its state; it never submits again. This holds across
// crashes because the index entry is written in the same transaction as the
// item, before submission.
//
// A crash during an attempt leaves the item in submitting. Its owner is a
// process token whose lock file (<state>/outbox/owners/<token>) the process
// holds with flock(2) while it lives; the kernel drops the lock when the
// process dies, so other processes, and the same process restarted, can tell
// an attempt in progress from an abandoned one. An abandoned attempt is
// resolved by its phase, which the Transport reports through the commit
// callback it calls immediately before the final "." of DATA:
//
//   - before commit (connecting, MAIL, RCPT, streaming DATA): the server
//     cannot have accepted the message (RFC 5321 §4.1.1.4: only the final
//     dot makes it take responsibility), so the item is queued again;
//   - after commit, with no reply recorded: the server may or may not have
//     accepted it. Sending again could deliver twice, not sending could lose
//     it; mailmcp never guesses. The item becomes in_doubt, outbox_status
//     says so, and the user decides (it stays listed as in_doubt —
//     cancel_send refuses it, since "cancelled" could hide a delivered
//     message; to send it again the agent sends anew with a new
//     idempotency key). The window is the server's reply
//     time to the final dot plus one fsync, normally milliseconds.
//
// # Replicas
//
// Replicas that share a PostgreSQL state store (state_backend = "postgres")
// share nothing else, so Owners and Bodies move into the store as well
// (StoreOwners, StoreBodies): each outbox writes a heartbeat every
// OwnerBeat and is taken for dead OwnerTTL after its last one, and message
// bytes are rows beside the items. A replica killed mid-send is resolved by
// another within about 15 s by the same phase rules; a replica that drains
// deletes its heartbeat, so its work moves at once. A replica whose
// heartbeats fail (its database link is down) cannot commit either: the
// commit callback and the outcome record check ownership in the store, so
// a takeover never lets two replicas past the commit point.
//
// A reply lost to a timeout or a dropped connection after the commit point
// is in doubt in the same way and is treated the same way, rather than
// retried. Guarantee in one line: at most one submission reaches the
// point of no return per item; every item ends sent, failed, cancelled or
// visibly in_doubt.
//
// # Workers
//
// One worker goroutine per process (Start) retries due items and resolves
// abandoned ones; Close stops it in order: no new claims, wait for running
// attempts up to the deadline, then cancel them. Items are claimed in store
// transactions, so several processes sharing a state directory never submit
// the same item twice.
package outbox
