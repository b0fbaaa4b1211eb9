// Package webhook delivers change-feed events (internal/watch) to HTTP
// endpoints from a durable queue in the state store.
//
// A Hook is a watch.Sink: the events it wants are queued in the same
// transaction that appends them to the feed, so a crash can neither lose a
// delivery nor queue one for an event that was never recorded. Its worker
// claims one item at a time with a lease (a process that dies mid-POST
// leaves the item for the next one), POSTs it, and then acknowledges it,
// retries it later, or gives it up:
//
//   - 2xx: delivered.
//   - 408, 425, 429, 5xx and network errors: retried with exponential
//     backoff (1 s doubling to 10 min, ±25% jitter), or after Retry-After
//     when the receiver sends one (at most an hour); given up after MaxAge.
//   - any other status (400, 401, 404, 413, redirects, …): a configuration
//     problem; given up at once and logged with the status and reason.
//
// Delivery is at least once; receivers de-duplicate with the Idempotency-Key
// header, which is stable across retries and restarts.
//
// # Formats
//
// openclaw: POST to OpenClaw's /hooks/agent with "Authorization: Bearer
// <hooks.token>" and the body
//
//	{"message": "New email …", "name": "Email", "deliver": false,
//	 "agentId": "…", "sessionKey": "…", "channel": "…", "to": "…", "timeoutSeconds": 120}
//
// (empty optional fields are left out). OpenClaw wraps message as untrusted
// external content; mailmcp never uses /hooks/wake, which would trust it.
//
// json: POST of mailmcp's own document
//
//	{"version": 1, "webhook": "name", "sent_at": 1763800000,
//	 "event": { …the watch.Event, see internal/watch… }}
//
// with headers
//
//	Content-Type: application/json
//	Idempotency-Key: mailmcp-<webhook>-<event id>
//	X-Mailmcp-Event: <event id>
//	X-Mailmcp-Timestamp: <sent_at, unix seconds>
//	X-Mailmcp-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>
//
// The timestamp is inside the signed body too, so receivers can reject
// replays. Events carry a snippet of at most 200 characters; the message
// text (bounded by BodyChars) only when IncludeBody is set.
package webhook
