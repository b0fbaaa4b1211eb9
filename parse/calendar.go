package parse

import (
	"strings"
	"time"
)

// parseCalendar summarises the first VEVENT of an iCalendar object
// (RFC 5545) and the iTIP method (RFC 5546 §1.4). Returns nil when the
// text holds no VCALENDAR.
func parseCalendar(text string) *CalendarSummary {
	if !strings.Contains(strings.ToUpper(text), "BEGIN:VCALENDAR") {
		return nil
	}
	c := &CalendarSummary{}
	inEvent, seenEvent, nestedDepth := false, false, 0
	for _, line := range unfoldICal(text) {
		name, params, value := splitICalLine(line)
		switch {
		case name == "BEGIN" && strings.EqualFold(value, "VEVENT") && !seenEvent:
			inEvent = true
			continue
		case name == "END" && strings.EqualFold(value, "VEVENT") && inEvent:
			inEvent, seenEvent = false, true
			continue
		case name == "BEGIN" && inEvent:
			nestedDepth++ // VALARM inside the event
			continue
		case name == "END" && inEvent && nestedDepth > 0:
			nestedDepth--
			continue
		case name == "METHOD" && !inEvent:
			c.Method = strings.ToUpper(strings.TrimSpace(value))
			continue
		}
		if !inEvent || nestedDepth > 0 {
			continue
		}
		switch name {
		case "SUMMARY":
			c.Summary = icalText(value)
		case "LOCATION":
			c.Location = icalText(value)
		case "STATUS":
			c.Status = strings.ToUpper(strings.TrimSpace(value))
		case "UID":
			c.UID = SanitizeText(strings.TrimSpace(value))
		case "DTSTART":
			c.Start = icalTime(value, params)
		case "DTEND":
			c.End = icalTime(value, params)
		case "ORGANIZER":
			a := Address{Name: icalText(strings.Trim(params["CN"], `"`))}
			v := strings.TrimSpace(value)
			if strings.HasPrefix(strings.ToLower(v), "mailto:") {
				v = v[len("mailto:"):]
			}
			a.Email = SanitizeText(v)
			c.Organizer = &a
		case "ATTENDEE":
			c.Attendees++
		}
	}
	return c
}

// unfoldICal joins folded lines (RFC 5545 §3.1).
func unfoldICal(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return out
}

// splitICalLine splits "NAME;P=V;Q=W:value" (RFC 5545 §3.1 contentline).
func splitICalLine(line string) (name string, params map[string]string, value string) {
	inQ := false
	colon := -1
	for i := 0; i < len(line); i++ {
		if line[i] == '"' {
			inQ = !inQ
		} else if line[i] == ':' && !inQ {
			colon = i
			break
		}
	}
	if colon < 0 {
		return "", nil, ""
	}
	head, value := line[:colon], line[colon+1:]
	parts := strings.Split(head, ";")
	name = strings.ToUpper(strings.TrimSpace(parts[0]))
	params = map[string]string{}
	for _, p := range parts[1:] {
		if k, v, ok := strings.Cut(p, "="); ok {
			params[strings.ToUpper(k)] = v
		}
	}
	return name, params, value
}

// icalText unescapes a TEXT value (RFC 5545 §3.3.11).
func icalText(v string) string {
	r := strings.NewReplacer(`\n`, " ", `\N`, " ", `\,`, ",", `\;`, ";", `\\`, `\`)
	return DecodeHeader(r.Replace(v))
}

// icalTime converts DATE / DATE-TIME values (RFC 5545 §3.3.4-5) to RFC 3339,
// resolving TZID when the zone is known; all-day dates stay YYYY-MM-DD.
func icalTime(v string, params map[string]string) string {
	v = strings.TrimSpace(v)
	if strings.EqualFold(params["VALUE"], "DATE") || len(v) == 8 {
		if t, err := time.Parse("20060102", v); err == nil {
			return t.Format("2006-01-02")
		}
	}
	if strings.HasSuffix(v, "Z") {
		if t, err := time.Parse("20060102T150405Z", v); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	if tz := strings.Trim(params["TZID"], `"`); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			if t, err := time.ParseInLocation("20060102T150405", v, loc); err == nil {
				return t.Format(time.RFC3339)
			}
		}
		if t, err := time.Parse("20060102T150405", v); err == nil {
			return t.Format("2006-01-02T15:04:05") + " (" + SanitizeText(tz) + ")"
		}
	}
	if t, err := time.Parse("20060102T150405", v); err == nil {
		return t.Format("2006-01-02T15:04:05") + " (floating)"
	}
	return SanitizeText(v)
}
