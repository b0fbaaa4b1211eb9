package imapconn

import (
	"context"
	"errors"
	"strconv"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// CapGmail is Gmail's extension capability
// (https://developers.google.com/gmail/imap/imap-extensions).
const CapGmail imap.Cap = "X-GM-EXT-1"

// errNoGmail refuses gmail_query on other servers.
func errNoGmail(host string) error {
	return &fault.Error{Kind: fault.Unsupported, Op: "search", Err: errors.New("gmail_query works only on Gmail accounts (the server " + host + " does not offer X-GM-EXT-1)"),
		Hint: "Use the structured criteria instead (from, to, subject, text, since, before, unseen, has_attachment, …)"}
}

// gmailSearch runs UID SEARCH with one Gmail key: X-GM-RAW (Gmail search
// syntax) or X-GM-THRID (a thread id). Non-ASCII queries go as a UTF-8
// literal with CHARSET UTF-8.
func (c *Conn) gmailSearch(ctx context.Context, key, value string) ([]imap.UID, error) {
	args := []rawArg{atom("UID"), atom("SEARCH")}
	if !isQuotedSafe(value) {
		args = append(args, atom("CHARSET"), atom("UTF-8"))
	}
	if key == "X-GM-THRID" {
		if _, err := strconv.ParseUint(value, 10, 64); err != nil {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "search", Err: errors.New("bad Gmail thread id " + strconv.Quote(value))}
		}
		args = append(args, atom(key), atom(value))
	} else {
		args = append(args, atom(key), astr(value))
	}
	resps, err := c.Raw(ctx, []string{"SEARCH", "ESEARCH"}, args...)
	if err != nil {
		return nil, err
	}
	uids, err := parseSearchUIDs(resps)
	if err != nil {
		return nil, c.fail(ctx, "gmail search", err)
	}
	return uids, nil
}

// gmailMeta fetches X-GM-THRID, X-GM-MSGID and X-GM-LABELS of uids in the
// selected folder.
func (c *Conn) gmailMeta(ctx context.Context, uids []imap.UID) (map[imap.UID]GmailMeta, error) {
	if len(uids) == 0 {
		return nil, nil
	}
	set := imap.UIDSetNum(uids...)
	resps, err := c.Raw(ctx, []string{"FETCH"}, atom("UID"), atom("FETCH"), atom(set.String()), atom("(UID X-GM-THRID X-GM-MSGID X-GM-LABELS)"))
	if err != nil {
		return nil, err
	}
	m, err := parseGmailFetch(resps)
	if err != nil {
		return nil, c.fail(ctx, "gmail fetch", err)
	}
	return m, nil
}

// addGmailMeta fills the Gmail fields of envelopes from the selected folder.
func (c *Conn) addGmailMeta(ctx context.Context, envs []Envelope) error {
	if !c.Has(CapGmail) || c.raw == nil || len(envs) == 0 { // no raw path (a connection dialled without it): plain envelopes
		return nil
	}
	uids := make([]imap.UID, len(envs))
	for i, e := range envs {
		uids[i] = imap.UID(e.UID)
	}
	meta, err := c.gmailMeta(ctx, uids)
	if err != nil {
		return err
	}
	for i := range envs {
		if m, ok := meta[imap.UID(envs[i].UID)]; ok {
			envs[i].ThreadID, envs[i].GmailMsgID, envs[i].Labels = m.ThreadID, m.MsgID, m.Labels
			for j, l := range envs[i].Labels {
				envs[i].Labels[j] = CleanText(l)
			}
		}
	}
	return nil
}
