// Package present renders sender-controlled content for an agent: a parsed
// message as bounded, paged text between nonce-carrying markers after a
// notice that it is untrusted data, attachment text in the same frame, and
// the defusing of marker look-alikes in any sender string shown elsewhere.
// parse reads MIME in; this package decides what the model is told.
package present
