package parse

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

var (
	// "On Mon, 1 Jan 2024 at 10:00, Ann <ann@example.com> wrote:" and translations.
	attribution  = regexp.MustCompile(`(?i)^\W{0,4}(on|le|am|el|il|op|em|den|w dniu)\b.{0,300}(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu|skrev|napisał)(\s.{0,200}:)?\s*:?\W{0,4}$`)
	attribStart  = regexp.MustCompile(`(?i)^\W{0,4}(on|le|am|el|il|op|em)\s`)
	attribEnd    = regexp.MustCompile(`(?i)(wrote|a écrit|schrieb|escribió|ha scritto|schreef|escreveu)\s*:?\W{0,4}$`)
	originalMsg  = regexp.MustCompile(`(?i)^[\s*_\\-]*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}[\s*_\\-]*$`)
	outlookFrom  = regexp.MustCompile(`(?i)^[\s*_\\]*(from|von|de|van|da|od)[\s*_\\]*:`)
	outlookSent  = regexp.MustCompile(`(?i)^[\s*_\\]*(sent|date|gesendet|envoyé|enviado|verzonden|inviato|datum)[\s*_\\]*:`)
	underscores  = regexp.MustCompile(`^[\s*]*_{10,}[\s*]*$`)
	forwardedHdr = regexp.MustCompile(`(?i)(forwarded message|begin forwarded message|weitergeleitete nachricht|message transféré)`)
	mdLink       = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	bareURL      = regexp.MustCompile(`https?://\S+`)
)

// StripQuotes removes quoted reply history from a body: "> " blocks and
// their "On … wrote:" attribution, Outlook "-----Original Message-----"
// and "From:/Sent:" reply headers with everything below them, and a
// "-- " signature (RFC 3676 §4.3). It returns the result and the number
// of characters dropped.
func StripQuotes(s string) (string, int) {
	lines := strings.Split(s, "\n")
	cut := len(lines)
	for i, l := range lines {
		t := strings.TrimRight(l, " \t")
		if l == "-- " || t == "--" || t == "\\--" {
			cut = i
			break
		}
		if originalMsg.MatchString(t) {
			cut = i
			break
		}
		if outlookFrom.MatchString(t) && !precededByForward(lines, i) && followedBy(lines, i, outlookSent) {
			cut = i
			if i > 0 && underscores.MatchString(lines[i-1]) {
				cut = i - 1
			}
			break
		}
	}
	kept := make([]string, 0, cut)
	for i := 0; i < cut; i++ {
		l := lines[i]
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, ">") {
			continue
		}
		if attribution.MatchString(strings.TrimSpace(l)) && quoteFollows(lines, i+1, cut) {
			continue
		}
		if i+1 < cut && attribStart.MatchString(strings.TrimSpace(l)) && attribEnd.MatchString(strings.TrimSpace(lines[i+1])) && quoteFollows(lines, i+2, cut) {
			i++
			continue
		}
		kept = append(kept, l)
	}
	out := strings.TrimSpace(blankRun.ReplaceAllString(strings.Join(kept, "\n"), "\n\n"))
	dropped := utf8.RuneCountInString(strings.TrimSpace(s)) - utf8.RuneCountInString(out)
	if dropped < 0 {
		dropped = 0
	}
	return out, dropped
}

// quoteFollows reports whether the next non-blank line from i is quoted (or the text ends).
func quoteFollows(lines []string, i, end int) bool {
	for ; i < end; i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" {
			continue
		}
		return strings.HasPrefix(t, ">")
	}
	return true
}

func followedBy(lines []string, i int, re *regexp.Regexp) bool {
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		if re.MatchString(strings.TrimSpace(lines[j])) {
			return true
		}
	}
	return false
}

func precededByForward(lines []string, i int) bool {
	for j := i - 1; j >= 0 && j >= i-3; j-- {
		if forwardedHdr.MatchString(lines[j]) {
			return true
		}
	}
	return false
}

// stripMarkdownLinks keeps link texts and drops URLs (for word counts).
func stripMarkdownLinks(s string) string {
	return bareURL.ReplaceAllString(mdLink.ReplaceAllString(s, "$1"), "")
}
