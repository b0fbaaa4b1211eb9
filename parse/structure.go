package parse

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
)

// assemble fills m's body, attachments and summaries from the part tree.
func assemble(m *Message, root *node, probs *problems) {
	if root == nil {
		return
	}
	a := &assembler{m: m, probs: probs}
	a.walk(root, false)
	best, plain, src := a.body(root)
	m.Text = strings.TrimSpace(best)
	if p := strings.TrimSpace(plain); p != m.Text {
		m.PlainText = p
	}
	m.BodySource = src
	// Link a report to the message it is about (RFC 3464 §2, RFC 8098 §3).
	if len(m.Nested) > 0 {
		orig := m.Nested[len(m.Nested)-1]
		if m.DeliveryStatus != nil && m.DeliveryStatus.OriginalMessageID == "" {
			m.DeliveryStatus.OriginalMessageID = orig.MessageID
		}
		if m.Receipt != nil && m.Receipt.OriginalMessageID == "" {
			m.Receipt.OriginalMessageID = orig.MessageID
		}
	}
}

type assembler struct {
	m     *Message
	probs *problems
}

// walk lists everything that is not body text: attachments, nested
// messages, calendars, reports and security parts. inRelated marks the
// non-root parts of multipart/related (inline resources).
func (a *assembler) walk(n *node, inRelated bool) {
	m := a.m
	if n.msg != nil {
		n.msg.PartID = n.id
		m.Nested = append(m.Nested, n.msg)
		note := "forwarded message, rendered as nested message " + n.id
		if n.headersOnly {
			note = "headers of the original message, rendered as nested message " + n.id
		}
		name := n.filename
		if name == "" && n.msg.Subject != "" {
			name = SanitizeFilename(n.msg.Subject + ".eml")
		}
		m.Attachments = append(m.Attachments, Attachment{PartID: n.id, Filename: name, MediaType: n.mediaType, Size: n.size, Inline: n.disposition == "inline", ContentID: n.contentID, Note: note})
		return
	}
	switch {
	case strings.HasPrefix(n.mediaType, "multipart/") && !n.hasText:
		a.walkMultipart(n)
		return
	case n.hasText && isBodyCandidate(n), n.hasText && strings.HasPrefix(n.mediaType, "multipart/"):
		if n.mediaType == "text/plain" {
			if strings.Contains(n.text, "-----BEGIN PGP SIGNED MESSAGE-----") {
				m.Security = append(m.Security, SecurityPart{PartID: n.id, Scheme: "pgp", Kind: "inline_signed", MediaType: n.mediaType})
			}
			if strings.Contains(n.text, "-----BEGIN PGP MESSAGE-----") {
				m.Security = append(m.Security, SecurityPart{PartID: n.id, Scheme: "pgp", Kind: "inline_encrypted", MediaType: n.mediaType})
			}
		}
		return
	}
	att := nodeAttachment(n)
	att.Inline = att.Inline || (n.disposition == "" && inRelated)
	switch n.mediaType {
	case "text/calendar", "application/ics":
		if m.Calendar == nil {
			if c := parseCalendar(n.text); c != nil {
				c.PartID = n.id
				m.Calendar = c
			}
		}
		att.Note = "calendar (iCalendar) data, summarised"
	case "message/delivery-status", "message/global-delivery-status":
		if m.DeliveryStatus == nil {
			d := parseDSN(n.text)
			d.PartID = n.id
			m.DeliveryStatus = d
		}
		return
	case "message/disposition-notification", "message/global-disposition-notification":
		if m.Receipt == nil {
			r := parseMDN(n.text)
			r.PartID = n.id
			m.Receipt = r
		}
		return
	case "message/feedback-report":
		att.Note = "abuse feedback report (RFC 5965)"
	case "application/pgp-encrypted":
		return // RFC 3156 §4 control part ("Version: 1")
	case "application/pgp-signature":
		m.Security = append(m.Security, SecurityPart{PartID: n.id, Scheme: "pgp", Kind: "signature", MediaType: n.mediaType})
		return
	case "application/pkcs7-signature", "application/x-pkcs7-signature":
		m.Security = append(m.Security, SecurityPart{PartID: n.id, Scheme: "smime", Kind: "signature", MediaType: n.mediaType})
		return
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		kind := "encrypted"
		if st := strings.ToLower(n.params["smime-type"]); st == "signed-data" || strings.HasSuffix(strings.ToLower(n.filename), ".p7s") {
			kind = "signed_data"
		}
		m.Security = append(m.Security, SecurityPart{PartID: n.id, Scheme: "smime", Kind: kind, MediaType: n.mediaType})
		att.Note = "S/MIME " + strings.ReplaceAll(kind, "_", " ") + "; not decrypted or verified"
	case "application/pgp-keys":
		m.Security = append(m.Security, SecurityPart{PartID: n.id, Scheme: "pgp", Kind: "keys", MediaType: n.mediaType})
		att.Note = "OpenPGP public key"
	case "application/ms-tnef", "application/vnd.ms-tnef":
		att.Note = "TNEF (winmail.dat) container from Outlook; its contents are not extracted"
	default:
		if strings.EqualFold(n.filename, "winmail.dat") {
			att.Note = "TNEF (winmail.dat) container from Outlook; its contents are not extracted"
		}
	}
	m.Attachments = append(m.Attachments, att)
}

func (a *assembler) walkMultipart(n *node) {
	switch n.mediaType {
	case "multipart/related":
		root := relatedRoot(n)
		for _, c := range n.children {
			a.walk(c, c != root)
		}
	case "multipart/encrypted":
		// RFC 1847 §2.2 / RFC 3156 §4: control part, then the ciphertext.
		scheme := "pgp"
		if !strings.Contains(strings.ToLower(n.params["protocol"]), "pgp") {
			scheme = "unknown"
		}
		a.m.Security = append(a.m.Security, SecurityPart{PartID: n.id, Scheme: scheme, Kind: "encrypted", MediaType: n.mediaType})
		for _, c := range n.children {
			if c.mediaType == "application/octet-stream" {
				a.m.Attachments = append(a.m.Attachments, Attachment{PartID: c.id, Filename: c.filename, MediaType: c.mediaType, Size: c.size, Note: "encrypted content; not decrypted"})
				continue
			}
			a.walk(c, false)
		}
	default:
		for _, c := range n.children {
			a.walk(c, false)
		}
	}
}

// relatedRoot finds the root of multipart/related (RFC 2387 §3.2): the
// part named by the start parameter, else the first.
func relatedRoot(n *node) *node {
	if len(n.children) == 0 {
		return nil
	}
	if start := strings.Trim(n.params["start"], "<> "); start != "" {
		for _, c := range n.children {
			if c.contentID == start {
				return c
			}
		}
	}
	return n.children[0]
}

// body returns the faithful body text of n, the variant preferring
// text/plain alternatives, and the source media type ("text/plain",
// "text/html" or "mixed").
func (a *assembler) body(n *node) (best, plain, src string) {
	if n == nil || n.msg != nil {
		return "", "", ""
	}
	if n.hasText && strings.HasPrefix(n.mediaType, "multipart/") {
		t := normalizeText(n.text)
		return t, t, "text/plain"
	}
	switch n.mediaType {
	case "text/enriched", "text/richtext":
		if !n.hasText {
			return "", "", ""
		}
		t := normalizeText(n.text)
		return t, t, n.mediaType
	case "text/plain":
		if !n.hasText {
			return "", "", ""
		}
		t := normalizeText(n.text)
		if strings.EqualFold(n.params["format"], "flowed") {
			t = unflow(t, strings.EqualFold(n.params["delsp"], "yes"))
		}
		return t, t, "text/plain"
	case "text/html":
		if !n.hasText {
			return "", "", ""
		}
		md := HTMLToMarkdown(n.text)
		return md, md, "text/html"
	case "multipart/alternative":
		return a.alternative(n)
	case "multipart/related":
		return a.body(relatedRoot(n))
	case "multipart/signed":
		if len(n.children) > 0 {
			return a.body(n.children[0])
		}
		return "", "", ""
	case "multipart/encrypted":
		t := "[This message is encrypted (" + n.params["protocol"] + "); its content cannot be shown.]"
		return t, t, "text/plain"
	case "application/pkcs7-mime", "application/x-pkcs7-mime":
		if st := strings.ToLower(n.params["smime-type"]); st == "enveloped-data" || st == "" && !strings.HasSuffix(strings.ToLower(n.filename), ".p7s") {
			t := "[This message is encrypted (S/MIME); its content cannot be shown.]"
			return t, t, "text/plain"
		}
		return "", "", ""
	}
	if !strings.HasPrefix(n.mediaType, "multipart/") {
		return "", "", ""
	}
	var bs, ps []string
	srcs := map[string]bool{}
	for _, c := range n.children {
		b, p, s := a.body(c)
		if strings.TrimSpace(b) == "" {
			continue
		}
		bs, ps = append(bs, strings.TrimSpace(b)), append(ps, strings.TrimSpace(p))
		srcs[s] = true
	}
	return strings.Join(bs, "\n\n"), strings.Join(ps, "\n\n"), mergeSource(srcs)
}

func mergeSource(srcs map[string]bool) string {
	switch {
	case len(srcs) == 0:
		return ""
	case len(srcs) == 1:
		for s := range srcs {
			return s
		}
	}
	return "mixed"
}

// alternative picks among the parts of multipart/alternative (RFC 2046
// §5.1.4): the text/plain part when it faithfully carries the content,
// else the richest (last) HTML-bearing part.
func (a *assembler) alternative(n *node) (best, plain, src string) {
	var pb, hb string
	var havePlain, haveHTML bool
	var other, otherSrc string
	for _, c := range n.children {
		b, _, s := a.body(c)
		if strings.TrimSpace(b) == "" {
			continue
		}
		switch s {
		case "text/plain":
			pb, havePlain = b, true
		case "text/html", "mixed":
			hb, haveHTML = b, true
		default:
			other, otherSrc = b, s
		}
	}
	switch {
	case havePlain && haveHTML:
		if extra := wordsMissing(pb, hb); len(extra) >= maxPlainOnlyWords {
			// A reader of the HTML never sees what only the plain part
			// says, so it is not shown, even when text is preferred.
			a.probs.add(n.id, "alternative", fmt.Sprintf("the text/plain alternative has %d words the text/html one (what mail programs show) lacks; the HTML is shown", len(extra)))
			return hb, hb, "text/html"
		}
		if faithful(pb, hb) {
			return pb, pb, "text/plain"
		}
		return hb, pb, "text/html"
	case haveHTML:
		return hb, hb, "text/html"
	case havePlain:
		return pb, pb, "text/plain"
	}
	return other, other, otherSrc
}

// maxPlainOnlyWords is how many distinct words a text/plain alternative
// may have that its text/html sibling lacks before it counts as saying
// something else: senders hide instructions for an agent in the plain
// part, which mail programs showing the HTML never display.
const maxPlainOnlyWords = 3

// mdImage is Markdown image syntax: compose writes a message's plain
// part as the Markdown its HTML is rendered from, and an image's URL is
// not text in the HTML (only its alt is).
var mdImage = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)

// wordsMissing returns the distinct words (letter and digit runs, folded
// to lower case) of plain that do not occur in md, link targets included.
func wordsMissing(plain, md string) []string {
	plain = mdImage.ReplaceAllString(plain, "$1")
	split := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	have := map[string]bool{}
	for _, w := range split(md) {
		have[w] = true
	}
	var out []string
	for _, w := range split(plain) {
		if !have[w] {
			have[w] = true
			out = append(out, w)
		}
	}
	return out
}

var placeholderPhrases = []string{
	"does not support html", "doesn't support html", "html-compatible", "html email",
	"view this email in your browser", "view it in your browser", "view this message in a browser",
	"view in browser", "html version", "enable html", "to view this email", "web version",
}

// faithful reports whether the plain alternative carries about as much
// text as the HTML one and is not a "view in browser" placeholder.
func faithful(plain, md string) bool {
	pw := len(strings.Fields(plain))
	hw := len(strings.Fields(stripMarkdownLinks(md)))
	if pw == 0 {
		return false
	}
	if pw < 60 {
		low := strings.ToLower(plain)
		for _, p := range placeholderPhrases {
			if strings.Contains(low, p) && hw > pw*2 {
				return false
			}
		}
	}
	return !(hw > 30 && pw*10 < hw*4)
}

// normalizeText converts line breaks to LF and sanitises.
func normalizeText(s string) string {
	return SanitizeText(s)
}

// unflow joins RFC 3676 format=flowed soft line breaks (§4.2): a line
// ending in a space continues on the next one; space-stuffing is removed.
func unflow(s string, delsp bool) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	b.Grow(len(s))
	prevSoft := false
	for _, l := range lines {
		l = strings.TrimPrefix(l, " ") // §4.4 space-stuffing
		soft := strings.HasSuffix(l, " ") && l != "-- " && !strings.HasPrefix(l, ">")
		if soft && delsp {
			l = l[:len(l)-1]
		}
		b.WriteString(l)
		if !soft {
			b.WriteByte('\n')
		}
		prevSoft = soft
	}
	out := b.String()
	if !prevSoft {
		out = strings.TrimSuffix(out, "\n")
	}
	return out
}
