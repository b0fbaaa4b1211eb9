// Package compose builds outgoing messages: new mail, replies, forwards and
// drafts, as RFC 5322 bytes ready for SMTP submission or IMAP APPEND.
//
// Everything is written with go-message (no hand-built MIME): MIME-Version,
// Date, a Message-ID on the sender's domain, RFC 2047 encoded UTF-8 headers,
// RFC 2231 file names, and a transfer encoding chosen per part (7bit for
// short-lined ASCII text, quoted-printable for other text, base64 for binary
// attachments, 7bit/8bit for message/rfc822). Bcc is never written into a
// message that will be sent.
//
// Input is validated before anything is written: CR or LF in a header value,
// an invalid address, too many recipients or an oversize message are
// reported as *Error values whose Code says which rule was broken and whose
// message names the offending field.
//
// Reply and Forward derive a Message from a parsed original (parse.Message):
// recipients, a non-stacking "Re:"/"Fwd:" subject, In-Reply-To and the full
// References chain, an attributed quote, and the original's attachments.
// OpenInDir opens attachment files confined to one directory.
package compose
