package imapconn_test

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// STARTTLS is run by imapconn itself (so the TLS state and the login stream
// are reachable): a server that refuses it, one that pipelines cleartext
// after its OK (which would be injected into the TLS session), and one that
// logs the connection in before TLS are all refused before any credential
// is sent.
func TestStartTLSRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, greeting, reply string
		kind                  fault.Kind
		want                  string
	}{
		{"refused", "* OK ready\r\n", "MMS0 NO not now\r\n", fault.Unsupported, "refused STARTTLS"},
		{"pipelined", "* OK ready\r\n", "MMS0 OK begin\r\n* 1 EXISTS\r\n", fault.Unavailable, "before the TLS handshake"},
		{"preauth", "* PREAUTH hello\r\n", "", fault.Unavailable, "PREAUTH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leakCheck(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				ln.Close()
				if err != nil {
					got <- ""
					return
				}
				defer c.Close()
				c.Write([]byte(tc.greeting))
				line, _ := bufio.NewReader(c).ReadString('\n')
				got <- line
				c.Write([]byte(tc.reply))
				time.Sleep(100 * time.Millisecond) // let the client read it all
			}()
			host, port := splitHostPort(t, ln.Addr().String())
			a := &imapconn.Account{ID: "t", Email: "u@example.test", DialTimeout: 5 * time.Second,
				IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: imapconn.TLSStartTLS},
				Auth: &auth.PasswordLogin{Username: "u", Source: auth.SecretSource{Command: "printf secret"}}}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err = openPool(t, a).Search(ctx, "INBOX", imapconn.Criteria{}, 1, "")
			if fault.KindOf(err) != tc.kind || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "secret") {
				t.Errorf("err = %v (%s), want %s containing %q", err, fault.KindOf(err), tc.kind, tc.want)
			}
			if line := <-got; tc.reply != "" && line != "MMS0 STARTTLS\r\n" {
				t.Errorf("client sent %q, want STARTTLS", line)
			}
		})
	}
}
