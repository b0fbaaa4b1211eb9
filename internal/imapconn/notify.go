package imapconn

import (
	"context"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// CapNotify is the NOTIFY extension (RFC 5465).
const CapNotify imap.Cap = "NOTIFY"

// Notify asks the server (RFC 5465) to announce on c, which the caller owns
// with no command in flight, new and expunged messages and flag changes in
// the selected folder as before (EXISTS, EXPUNGE, FETCH), and new and
// expunged messages in folders as unsolicited STATUS responses (RFC 5465
// 5.2, 5.3), which go-imap drops: the tap given to DialConn sees them,
// with the server's mailbox names (AgentName maps them back). folders are
// agent names.
func (c *Conn) Notify(ctx context.Context, folders []string) error {
	if !c.Has(CapNotify) {
		return fault.New(fault.Unsupported, "notify", "the IMAP server does not offer NOTIFY")
	}
	names := make([]string, 0, len(folders))
	for _, agent := range folders {
		f := c.ServerName(agent)
		if !quotable(f) {
			// Modified UTF-7 (RFC 3501 5.1.3) is go-imap's internal affair.
			return fault.Errorf(fault.Unsupported, "notify", "folder %q cannot be named in NOTIFY here", f)
		}
		names = append(names, strconv.Quote(f))
	}
	// RFC 5465 8: MessageNew and MessageExpunge go together.
	set := "(selected (MessageNew MessageExpunge FlagChange))"
	if len(names) > 0 {
		set += " (mailboxes (" + strings.Join(names, " ") + ") (MessageNew MessageExpunge))"
	}
	return c.run(ctx, "notify", func() error {
		_, err := c.Raw(ctx, nil, atom("NOTIFY"), atom("SET"), atom(set))
		return err
	})
}

// StatusMailbox returns the mailbox an untagged STATUS response line names
// ("* STATUS "A" (MESSAGES 3)"), or ok false for any other line. A name
// sent as a literal is not read (ok true, name "").
func StatusMailbox(line []byte) (name string, ok bool) {
	s, found := strings.CutPrefix(string(line), "* STATUS ")
	if !found {
		if s, found = strings.CutPrefix(string(line), "* status "); !found {
			return "", false
		}
	}
	switch {
	case strings.HasPrefix(s, "{"):
		return "", true
	case strings.HasPrefix(s, `"`):
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				if i+1 < len(s) {
					i++
					b.WriteByte(s[i])
				}
			case '"':
				return b.String(), true
			default:
				b.WriteByte(s[i])
			}
		}
		return "", true
	}
	name, _, _ = strings.Cut(s, " ")
	return name, true
}
