package policy

import (
	"fmt"
	"slices"
	"strings"
)

// Policy is one account's send policy.
type Policy struct {
	Mode  Mode
	Allow *AllowList
	// KnownCorrespondents admits, in Allowlist mode, recipients the account
	// has sent mail to before (not for forwards, which need the allowlist).
	KnownCorrespondents bool
}

// Text is one piece of outgoing content to scan for secrets.
type Text struct {
	Where string
	Text  string
}

// Outgoing describes a message about to be handed to the outbox.
type Outgoing struct {
	// Recipients are the normalised To, Cc and Bcc addresses.
	Recipients []string
	// Forward is set when existing mail leaves the mailbox: a forward, or
	// attachments taken from received messages.
	Forward bool
	// Texts are the pieces of content to scan (OutgoingTexts).
	Texts []Text
	// Senders are the addresses in the message's From, Sender and Reply-To
	// fields; Own are the account's addresses (normalised). A sender that
	// is not the account's own always needs the user: replies or the
	// recipient's trust would go to someone else.
	Senders []Sender
	Own     []string
	// Untrusted, when set, says why the message's content is not the
	// agent's or mailmcp's own (a draft mailmcp did not save): it always
	// needs the user's confirmation, whatever the mode.
	Untrusted string
	// Seen, when set, holds the codes and secrets recently seen in
	// received mail; content carrying one needs confirmation.
	Seen *SeenSet
}

// Sender is one address of a sender field (From, Sender or Reply-To).
type Sender struct {
	Field   string
	Address string // normalised
}

// Decision is what must happen before a message may be sent.
type Decision struct {
	// Refuse, when set, is why the message must not be sent at all.
	Refuse string
	// DraftOnly: save it to Drafts for a human to send instead.
	DraftOnly bool
	// Confirm: a human must confirm this exact message first.
	Confirm bool
	// Reasons say why confirmation is needed.
	Reasons []string
	// Findings are suspected secrets in the content (always a confirmation).
	Findings []Finding
}

// Decide applies the policy to one outgoing message. known reports
// whether a normalised address is a known correspondent (nil: none are).
func (p Policy) Decide(o Outgoing, known func(string) bool) Decision {
	var d Decision
	switch p.Mode {
	case Disabled:
		d.Refuse = "sending is disabled for this account (send_policy = \"disabled\")"
		return d
	case DraftsOnly:
		d.DraftOnly = true
		return d
	}
	if o.Untrusted != "" {
		d.Confirm = true
		d.Reasons = append(d.Reasons, o.Untrusted)
	}
	var foreign []string
	for _, sd := range o.Senders {
		if !slices.Contains(o.Own, sd.Address) {
			foreign = append(foreign, sd.Field+": "+sd.Address)
		}
	}
	if len(foreign) > 0 {
		d.Confirm = true
		d.Reasons = append(d.Reasons, "the message names a sender that is not this account's address ("+strings.Join(foreign, "; ")+")")
	}
	for _, t := range o.Texts {
		d.Findings = append(d.Findings, ScanText(t.Where, t.Text)...)
		d.Findings = append(d.Findings, seenFindings(o.Seen, t)...)
	}
	if len(d.Findings) > 0 {
		d.Confirm = true
		kinds := make([]string, 0, len(d.Findings))
		for _, f := range d.Findings {
			kinds = append(kinds, f.Kind+" in "+f.Where)
		}
		d.Reasons = append(d.Reasons, "the message appears to contain secrets: "+strings.Join(kinds, "; "))
	}
	switch p.Mode {
	case Confirm, "":
		d.Confirm = true
		d.Reasons = append(d.Reasons, "send_policy = \"confirm\": every message needs the user's confirmation")
	case Allowlist:
		var outside []string
		for _, r := range o.Recipients {
			ok := p.Allow.Allows(r)
			if !ok && !o.Forward && p.KnownCorrespondents && known != nil {
				ok = known(r)
			}
			if !ok {
				outside = append(outside, r)
			}
		}
		if len(outside) > 0 {
			d.Confirm = true
			what := "recipients outside the allowlist"
			if o.Forward {
				what = "forwarding mail to recipients outside the allowlist"
			}
			d.Reasons = append(d.Reasons, fmt.Sprintf("%s: %s", what, strings.Join(outside, ", ")))
		}
	case Autonomous:
	}
	return d
}
