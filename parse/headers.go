package parse

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
)

// fillHeaders sets the decoded envelope fields of m from the header block.
func fillHeaders(m *Message, h *headerBlock, extra []string, probs *problems, part string) {
	const maxKept = 500
	for i, f := range h.fields {
		if i >= maxKept {
			break
		}
		m.all = append(m.all, Header{Name: f.Name, Value: DecodeHeader(f.Value)})
	}
	m.Subject = DecodeHeader(h.get("Subject"))
	m.From = parseAddressList(h.get("From"))
	m.Sender = parseAddressList(h.get("Sender"))
	m.To = parseAddressList(joinValues(h, "To"))
	m.Cc = parseAddressList(joinValues(h, "Cc"))
	m.Bcc = parseAddressList(joinValues(h, "Bcc"))
	m.ReplyTo = parseAddressList(h.get("Reply-To"))
	if raw := h.get("Date"); raw != "" {
		m.DateRaw = SanitizeText(collapseSpace(repair8bit([]byte(raw))))
		if t, ok := parseDate(raw); ok {
			m.Date = t.Format(time.RFC3339)
		} else {
			probs.add(part, "date", "unparseable Date header")
		}
	}
	m.MessageID = firstMsgID(h.get("Message-ID"))
	m.InReplyTo = firstMsgID(h.get("In-Reply-To"))
	m.References = msgIDs(h.get("References"))
	m.ListID = DecodeHeader(h.get("List-Id"))
	m.ListUnsubscribe = SanitizeText(collapseSpace(h.get("List-Unsubscribe")))
	for _, name := range extra {
		for _, f := range h.fields {
			if equalFold(f.Name, name) {
				m.Headers = append(m.Headers, Header{Name: f.Name, Value: DecodeHeader(f.Value)})
			}
		}
	}
	for i, f := range h.fields {
		if equalFold(f.Name, "Authentication-Results") {
			if ar, ok := parseAuthResults(f.Value); ok {
				ar.Field = i
				m.Auth = append(m.Auth, ar)
			}
		}
	}
	if h.truncated {
		probs.add(part, "header", "header section too large; extra fields skipped")
	}
	if h.badLines > 0 && h.leftover != nil && len(h.fields) > 0 {
		probs.add(part, "header", "header section ended by a line that is not a field; treated as body")
	}
}

func joinValues(h *headerBlock, name string) string {
	var vs []string
	for _, f := range h.fields {
		if equalFold(f.Name, name) {
			vs = append(vs, f.Value)
		}
	}
	return strings.Join(vs, ", ")
}

// parseAddressList parses an address header (RFC 5322 §3.4) tolerantly:
// split on commas outside quotes, comments and angle brackets, then take
// the angle-addr (or the bare addr-spec) and decode the display name.
// Encoded-words are decoded after splitting, so a comma inside one cannot
// split an address, and words split mid-character are joined.
func parseAddressList(raw string) []Address {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	var out []Address
	for _, piece := range splitAddresses(raw) {
		if a, ok := looseAddress(piece); ok {
			out = append(out, a)
		}
	}
	return out
}

func splitAddresses(s string) []string {
	var out []string
	depthAngle, depthParen, inQ, esc := 0, 0, false, false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == '"' && depthParen == 0:
			inQ = !inQ
		case inQ:
		case c == '(':
			depthParen++
		case c == ')' && depthParen > 0:
			depthParen--
		case c == '<' && depthParen == 0:
			depthAngle++
		case c == '>' && depthAngle > 0:
			depthAngle--
		case (c == ',' || c == ';') && depthAngle == 0 && depthParen == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

var emailRe = regexp.MustCompile(`[^\s<>()"',;:]+@[^\s<>()"',;:]+`)

func looseAddress(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, false
	}
	// Group syntax "name: a, b;" — drop the display name of the group.
	if i := strings.IndexByte(s, ':'); i >= 0 && !strings.Contains(s[:i], "<") && !strings.Contains(s[:i], "@") {
		s = strings.TrimSpace(s[i+1:])
	}
	var email, name string
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			gt = len(s) - lt
		}
		email = strings.TrimSpace(s[lt+1 : lt+gt])
		name = strings.TrimSpace(s[:lt])
	} else if m := emailRe.FindString(s); m != "" {
		email = m
		name = strings.TrimSpace(strings.Replace(s, m, "", 1))
		name = strings.Trim(name, "() ")
	} else {
		name = s
	}
	name = strings.TrimSpace(name)
	if len(name) >= 2 && name[0] == '"' {
		name = unquote(name)
	}
	a := Address{Name: DecodeHeader(name), Email: strings.ReplaceAll(DecodeHeader(email), " ", "")}
	if a.Name == "" && a.Email == "" {
		return a, false
	}
	return a, true
}

var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"Mon, Jan 2 2006 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 -0700",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02T15:04:05Z07:00",
	"Mon, 2-Jan-2006 15:04:05 -0700",
	"2-Jan-2006 15:04:05 -0700",
}

var zoneNames = map[string]string{
	"UT": "+0000", "GMT": "+0000", "UTC": "+0000", "Z": "+0000",
	"EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500",
	"MST": "-0700", "MDT": "-0600", "PST": "-0800", "PDT": "-0700",
	"CET": "+0100", "CEST": "+0200", "MET": "+0100", "MEST": "+0200",
	"BST": "+0100", "JST": "+0900", "KST": "+0900", "IST": "+0530",
}

var (
	dateComment = regexp.MustCompile(`\([^)]*\)`)
	gmtOffset   = regexp.MustCompile(`(?i)\b(?:GMT|UTC|UT)\s*([+-]\d{1,2}):?(\d{2})?\b`)
	bareZone    = regexp.MustCompile(`\s([+-])(\d{1,4})$`)
)

// parseDate parses an RFC 5322 §3.3 date and the usual deviations
// (obsolete zones, comments, two-digit years, missing seconds, "GMT+2").
func parseDate(raw string) (time.Time, bool) {
	s := collapseSpace(strings.TrimSpace(raw))
	if t, err := mail.ParseDate(s); err == nil {
		return t, true
	}
	s = collapseSpace(dateComment.ReplaceAllString(s, " "))
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	s = gmtOffset.ReplaceAllStringFunc(s, func(m string) string {
		sm := gmtOffset.FindStringSubmatch(m)
		h, mm := sm[1], sm[2]
		if len(h) == 2 {
			h = h[:1] + "0" + h[1:]
		}
		if mm == "" {
			mm = "00"
		}
		return h + mm
	})
	if sm := bareZone.FindStringSubmatch(s); sm != nil && len(sm[2]) < 4 {
		d := sm[2]
		if len(d) <= 2 {
			d = strings.Repeat("0", 2-len(d)) + d + "00"
		} else {
			d = "0" + d
		}
		s = s[:len(s)-len(sm[0])] + " " + sm[1] + d
	}
	fields := strings.Fields(s)
	if n := len(fields); n > 0 {
		if off, ok := zoneNames[strings.ToUpper(fields[n-1])]; ok {
			fields[n-1] = off
			s = strings.Join(fields, " ")
		}
	}
	s = strings.Replace(s, ",", ", ", 1)
	s = collapseSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	// Day name without comma, or no day name at all.
	if len(fields) > 0 && len(fields[0]) >= 3 && !strings.HasSuffix(fields[0], ",") {
		if t, err := mail.ParseDate(fields[0] + ", " + strings.Join(fields[1:], " ")); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

var msgIDRe = regexp.MustCompile(`<[^<>\s]+>`)

// msgIDs extracts RFC 5322 §3.6.4 message identifiers, angle brackets kept.
func msgIDs(v string) []string {
	v = SanitizeText(v)
	ids := msgIDRe.FindAllString(v, -1)
	if len(ids) == 0 {
		for _, f := range strings.Fields(v) {
			if strings.Contains(f, "@") {
				ids = append(ids, "<"+strings.Trim(f, "<>,")+">")
			}
		}
	}
	return ids
}

func firstMsgID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return strings.TrimSpace(SanitizeText(v))
}
