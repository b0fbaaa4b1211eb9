package imapconn

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// EnvelopeFetchOptions are the FETCH items EnvelopeOf needs, for code that
// fetches on a connection of its own (the IDLE watchers in internal/watch).
// The caller may add items to the returned copy.
func EnvelopeFetchOptions() *imap.FetchOptions {
	o := *envelopeFetch
	return &o
}

// EnvelopeOf builds the Envelope of a message fetched with
// EnvelopeFetchOptions, exactly as listings show it.
func EnvelopeOf(acct, folder string, uidValidity uint32, m *imapclient.FetchMessageBuffer) Envelope {
	return toEnvelope(acct, folder, uidValidity, m)
}

// FlagNames renders flags as listings show them: seen, answered, flagged,
// draft, deleted, and keywords lower-cased.
func FlagNames(flags []imap.Flag) []string { return flagNames(flags) }
