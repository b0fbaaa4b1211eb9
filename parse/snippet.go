package parse

import (
	"strings"
	"unicode/utf8"
)

// Snippet returns about n characters (default 200) of the message's body
// with quoted history dropped and whitespace folded, for list views. It is
// sender text: whoever shows it to an agent defuses marker look-alikes.
func (m *Message) Snippet(n int) string {
	if n <= 0 {
		n = 200
	}
	body, _ := StripQuotes(m.Text)
	body = mdLink.ReplaceAllString(body, "$1")
	body = collapseSpace(body)
	if utf8.RuneCountInString(body) > n {
		cut := 0
		for i := range body {
			if cut == n {
				body = strings.TrimSpace(body[:i]) + "…"
				break
			}
			cut++
		}
	}
	return body
}
