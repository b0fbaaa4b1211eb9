package tools

import (
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/present"
	"github.com/mailmcp/mailmcp/internal/watch"
	"github.com/mailmcp/mailmcp/parse"
)

// Marker look-alikes are defused in every sender-controlled string a tool
// returns, in the text and in structured content alike: subjects, display
// names, file names, snippets. Addresses are left as they are (a reply
// must reach them); a look-alike in one is defused where it is shown as
// text (present.Defuse on the rendered line).

func defuseEnvelope(e *imapconn.Envelope) {
	if e == nil {
		return
	}
	e.Subject = present.Defuse(e.Subject)
	e.Snippet = present.Defuse(e.Snippet)
	for _, l := range [][]imapconn.Address{e.From, e.To, e.Cc} {
		for i := range l {
			l[i].Name = present.Defuse(l[i].Name)
		}
	}
}

// defusePage defuses a page of search or list_drafts results.
func defusePage(p *imapconn.Page) {
	for i := range p.Messages {
		defuseEnvelope(&p.Messages[i])
	}
}

// defuseEvents defuses watch_inbox events.
func defuseEvents(evs []watch.Event) {
	for i := range evs {
		defuseEnvelope(evs[i].Envelope)
		evs[i].Snippet = present.Defuse(evs[i].Snippet)
		evs[i].Body = present.Defuse(evs[i].Body)
	}
}

// defuseFetched defuses the parsed fields fetch_message returns beside
// the framed content.
func defuseFetched(out *fetchOut) {
	out.Subject = present.Defuse(out.Subject)
	for _, l := range [][]parse.Address{out.From, out.To, out.Cc, out.ReplyTo} {
		for i := range l {
			l[i].Name = present.Defuse(l[i].Name)
		}
	}
	for i := range out.Attachments {
		out.Attachments[i].Filename = present.Defuse(out.Attachments[i].Filename)
	}
}
