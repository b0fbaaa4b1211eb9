package tools

import (
	"context"
	"time"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/watch"
	"github.com/mailmcp/mailmcp/parse"
)

// Codes and secrets in mail the agent reads are remembered (hashed, in
// the state store, for policy.SeenTTL) so that a send carrying one out
// needs the user's confirmation, however it is disguised. Recording never
// fails the read.

// recordSeen remembers the codes and secrets of texts read from account.
func recordSeen(ctx context.Context, d *Deps, account string, texts ...string) {
	if d.Ledger == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := d.Ledger.RecordSeen(rctx, account, texts...); err != nil {
		d.Log.Warn("remember codes seen in received mail", "account", account, "err", err)
	}
}

// messageTexts are the texts of a received message a send could copy:
// subject and body together (a code in the subject is explained by the
// body's wording), the other rendering, and those of nested messages.
func messageTexts(m *parse.Message) []string {
	out := []string{m.Subject + "\n" + m.Text, m.PlainText}
	for _, n := range m.Nested {
		out = append(out, messageTexts(n)...)
	}
	return out
}

// pageSubjects are the subjects of a search page ("483920 is your code").
func pageSubjects(pg *imapconn.Page) []string {
	var out []string
	for _, m := range pg.Messages {
		out = append(out, m.Subject)
	}
	return out
}

// recordSeenEvents remembers the codes in new-mail events the agent reads
// (subject with snippet and body, per account).
func recordSeenEvents(ctx context.Context, d *Deps, evs []watch.Event) {
	by := map[string][]string{}
	for _, e := range evs {
		if e.Kind == watch.KindMessage {
			by[e.Account] = append(by[e.Account], e.Subject()+"\n"+e.Snippet+"\n"+e.Body)
		}
	}
	for acct, texts := range by {
		recordSeen(ctx, d, acct, texts...)
	}
}

// seenSecrets loads the account's seen codes for one outgoing message;
// nil (match nothing) without a ledger. A failure to load is logged and
// the send goes on with the other checks.
func seenSecrets(ctx context.Context, d *Deps, account string) *policy.SeenSet {
	if d.Ledger == nil {
		return nil
	}
	s, err := d.Ledger.SeenSecrets(ctx, account)
	if err != nil {
		d.Log.Warn("load codes seen in received mail", "account", account, "err", err)
		return nil
	}
	return s
}
