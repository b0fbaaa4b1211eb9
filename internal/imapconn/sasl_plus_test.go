package imapconn_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/testrig/servers"
)

// SCRAM with channel binding over IMAP against mox, which offers
// SCRAM-SHA-256-PLUS (Dovecot 2.3 offers no -PLUS variant): without an
// override the channel-bound variant is chosen as the strongest, the
// exchange binds to the TLS connection and mox accepts it, and the server
// proves it knows the password.
func TestSCRAMPlusOnMox(t *testing.T) {
	srv := servers.Require(t, servers.Mox)
	if srv.IMAP.TLS != servers.TLSImplicit {
		t.Skipf("mox IMAP endpoint is %s; -PLUS needs TLS", srv.IMAP.TLS)
	}
	u := srv.NewUser(t)
	for _, override := range []string{"", auth.MechSCRAMSHA256Plus} {
		login := &auth.PasswordLogin{Username: u.Username, Source: auth.SecretSource{Command: "printf %s '" + u.Password + "'"}, Mechanism: override}
		a := &imapconn.Account{ID: "t", Email: u.Email, TLS: srv.TLS,
			IMAP: imapconn.Endpoint{Host: srv.IMAP.Host, Port: srv.IMAP.Port, TLS: srv.IMAP.TLS}, Auth: login}
		p := openPool(t, a)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if _, err := p.Search(ctx, "INBOX", imapconn.Criteria{}, 1, ""); err != nil {
			cancel()
			t.Fatalf("override %q: %v", override, err)
		}
		cancel()
		if got := login.UsedMechanism(); got != auth.MechSCRAMSHA256Plus {
			t.Fatalf("override %q: used %q, want %s", override, got, auth.MechSCRAMSHA256Plus)
		}
	}
}
