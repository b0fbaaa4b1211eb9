package compose

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/parse"
)

// replyPrefix matches one leading reply marker in the languages mail
// clients commonly use: Re, RE, Aw/AW (German), Sv/SV (Nordic), Antw
// (Dutch), Vs (Finnish), Odp (Polish), Ynt (Turkish), Réf/Ref, 回复/答复
// (Chinese), with an optional counter ("Re[2]:", "Re(3):"), an ASCII or
// full-width colon, and a mailing list tag before it ("[list] Re:").
var replyPrefix = regexp.MustCompile(`(?i)^\s*(?:(?:re|aw|sv|antw|vs|odp|ynt|r[ée]f|回复|答复|回覆)\s*(?:\[\d+\]|\(\d+\))?\s*[:：])\s*`)

// forwardPrefix matches one leading forward marker (Fwd, Fw, WG, TR, VS, RV, Doorst, 转发).
var forwardPrefix = regexp.MustCompile(`(?i)^\s*(?:fwd?|wg|tr|rv|doorst|vb|转发|轉寄)\s*[:：]\s*`)

// ReplySubject returns "Re: " + subject without stacking reply markers:
// "Re: RE: Aw: Hello" → "Re: Hello". Forward markers are kept
// ("Fwd: Hello" → "Re: Fwd: Hello").
func ReplySubject(subject string) string { return "Re: " + trimMarkers(replyPrefix, subject) }

// ForwardSubject returns "Fwd: " + subject without stacking forward markers.
func ForwardSubject(subject string) string { return "Fwd: " + trimMarkers(forwardPrefix, subject) }

// trimMarkers removes every leading match of marker from subject.
func trimMarkers(marker *regexp.Regexp, subject string) string {
	s := strings.TrimSpace(subject)
	for loc := marker.FindStringIndex(s); loc != nil; loc = marker.FindStringIndex(s) {
		s = s[loc[1]:]
	}
	return s
}

// maxReferences bounds the References header; the first id (the thread
// root) and the most recent ones are kept, as RFC 5322 3.6.4 suggests.
const maxReferences = 30

// Reply builds a reply to orig. self holds the account's own addresses
// (never replied to, removed from reply-all). The recipients come from
// Reply-To, else From; replying to one's own message goes to its To.
// With all, the original To and Cc (minus self and the primary
// recipients) become Cc. The subject gets one "Re:", In-Reply-To is the
// original's Message-ID and References its References plus its Message-ID.
// With quote, the original text follows body, attributed and prefixed by
// "> ". From is left empty for the caller to fill in.
func Reply(orig *parse.Message, self []string, all bool, body string, quote bool) *Message {
	isSelf := func(a parse.Address) bool {
		for _, s := range self {
			if SameMailbox(s, a.Email) {
				return true
			}
		}
		return false
	}
	var to []Address
	seen := map[string]bool{}
	add := func(dst *[]Address, l []parse.Address, skipSelf bool) {
		for _, a := range l {
			k := strings.ToLower(strings.TrimSpace(a.Email))
			if k == "" || seen[k] || skipSelf && isSelf(a) {
				continue
			}
			seen[k] = true
			*dst = append(*dst, Address{Name: a.Name, Email: strings.TrimSpace(a.Email)})
		}
	}
	primary := orig.ReplyTo
	if len(primary) == 0 {
		primary = orig.From
	}
	fromSelf := len(orig.From) > 0 && isSelf(orig.From[0]) && len(orig.ReplyTo) == 0
	if fromSelf {
		primary = orig.To // a follow-up to one's own message
	}
	add(&to, primary, !fromSelf)
	if len(to) == 0 { // replying to oneself only
		add(&to, primary, false)
	}
	var cc []Address
	if all {
		add(&cc, orig.To, true)
		add(&cc, orig.Cc, true)
	}
	m := &Message{
		To:      to,
		Cc:      cc,
		Subject: ReplySubject(orig.Subject),
		Text:    body,
	}
	if id := strings.Trim(orig.MessageID, "<> "); id != "" {
		m.InReplyTo = id
		refs := orig.References
		if len(refs) == 0 && orig.InReplyTo != "" {
			refs = []string{orig.InReplyTo}
		}
		m.References = threadRefs(refs, id)
	}
	if quote {
		m.Text = strings.TrimRight(body, "\r\n") + "\n\n" + Attribution(orig) + "\n" + Quote(orig.Text)
	}
	return m
}

// threadRefs appends id to refs, de-duplicated and bounded.
func threadRefs(refs []string, id string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range append(append([]string(nil), refs...), id) {
		r = strings.Trim(r, "<> ")
		if r == "" || seen[r] || strings.ContainsAny(r, "<> \t\r\n") {
			continue
		}
		seen[r] = true
		out = append(out, r)
	}
	if len(out) > maxReferences {
		out = append(out[:1], out[len(out)-(maxReferences-1):]...)
	}
	return out
}

// Attribution is the line introducing a quote: "On Mon, 2 Nov 2026 at
// 09:00, Ann <ann@example.org> wrote:".
func Attribution(orig *parse.Message) string {
	who := "someone"
	if len(orig.From) > 0 {
		who = orig.From[0].String()
	}
	if t, err := time.Parse(time.RFC3339, orig.Date); err == nil {
		return fmt.Sprintf("On %s, %s wrote:", t.Format("Mon, 2 Jan 2006 at 15:04"), who)
	}
	return who + " wrote:"
}

// Quote prefixes every line of text with "> " (">" for empty lines and
// lines already quoted, so nesting reads ">>").
func Quote(text string) string {
	text = strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		switch {
		case l == "":
			lines[i] = ">"
		case strings.HasPrefix(l, ">"):
			lines[i] = ">" + l
		default:
			lines[i] = "> " + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}
