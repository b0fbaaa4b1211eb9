package outbox

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// TestMailTransportRefusesReadOnlyAccount checks that the outbox does not
// submit a message (queued earlier) for an account that is now read-only.
// The SMTP endpoint refuses connections, so the old code reported a
// transient connection error and kept retrying the send.
func TestMailTransportRefusesReadOnlyAccount(t *testing.T) {
	acct := &imapconn.Account{ID: "a", Email: "a@example.org", ReadOnly: true,
		IMAP: imapconn.Endpoint{Host: "127.0.0.1", Port: 1, TLS: imapconn.TLSPlain},
		SMTP: imapconn.Endpoint{Host: "127.0.0.1", Port: 1, TLS: imapconn.TLSPlain}}
	m := imapconn.NewManager([]*imapconn.Account{acct}, slog.New(slog.DiscardHandler))
	defer m.Close(context.Background())
	tr := &MailTransport{Mail: m}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	committed := false
	_, err := tr.Submit(ctx, "a", Envelope{From: "a@example.org", To: []string{"b@example.org"}}, []byte("Subject: x\r\n\r\nx\r\n"),
		func() error { committed = true; return nil })
	if fault.KindOf(err) != fault.ReadOnly || committed {
		t.Fatalf("Submit on a read-only account: kind %q (err %v), committed %v; want read_only before any attempt", fault.KindOf(err), err, committed)
	}
	if tr.Classify(err) != Permanent {
		t.Errorf("read_only classified %v, want Permanent", tr.Classify(err))
	}
}
