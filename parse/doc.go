// Package parse turns raw RFC 5322 / MIME messages into a compact, faithful,
// safe and bounded Message: MIME in, no I/O of its own, no agent-facing
// text (internal/present frames and pages it for the model).
//
// Parse streams the message once: headers are decoded (RFC 2047, RFC 2231),
// text parts are decoded to UTF-8 (every declared charset, with a repair for
// undeclared 8-bit text), HTML is cleaned and converted to Markdown, and every
// other part is decoded only to be counted and discarded, so a message with a
// 25 MB attachment costs about as much memory as one without. Parsing is
// tolerant: malformed input yields a usable Message plus a list of Problems;
// only I/O failures of the underlying reader are returned as errors.
//
// ExtractPart and ExtractText stream a single part (by IMAP section number)
// for attachment download.
package parse
