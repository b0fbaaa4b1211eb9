package present

import (
	"fmt"
	"strings"

	"github.com/mailmcp/mailmcp/parse"
)

// Frame wraps external content (an attachment's text) between the same
// nonce-carrying markers as Render, after the same notice, so it cannot
// forge the closing marker. label says what the content is.
func Frame(label, content string) (text, nonce string) {
	nonce = newNonce()
	var b strings.Builder
	b.Grow(len(content) + 512)
	writeFrame(&b, label, nonce, Defuse(content))
	return b.String(), nonce
}

// writeFrame writes the notice, label (when given) and body between the
// markers carrying nonce. body must already be neutralised.
func writeFrame(b *strings.Builder, label, nonce, body string) {
	b.WriteString(notice)
	b.WriteString("\n")
	if label != "" {
		b.WriteString(parse.SanitizeText(label))
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "%s nonce=%s>>>\n", markerOpen, nonce)
	b.WriteString(body)
	if !strings.HasSuffix(body, "\n") {
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "%s nonce=%s>>>\n", markerClose, nonce)
}
