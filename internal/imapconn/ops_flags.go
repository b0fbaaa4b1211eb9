package imapconn

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Flag names callers use for the system flags they may change. \Deleted is
// deliberately absent: deleting goes through Delete, and \Recent is
// server-managed.
var settableFlags = map[string]imap.Flag{
	"seen":     imap.FlagSeen,
	"flagged":  imap.FlagFlagged,
	"answered": imap.FlagAnswered,
	"draft":    imap.FlagDraft,
}

// MaxKeywordLen bounds custom keywords.
const MaxKeywordLen = 64

// ParseFlag turns a flag name (seen, flagged, answered, draft, or a custom
// keyword such as $Label1 or Important) into an IMAP flag.
func ParseFlag(name string) (imap.Flag, error) {
	bad := func(why, hint string) (imap.Flag, error) {
		return "", &fault.Error{Kind: fault.Invalid, Op: "flag", Err: fmt.Errorf("flag %q %s", truncate(name, 80), why), Hint: hint}
	}
	lower := strings.ToLower(strings.TrimPrefix(name, `\`))
	if f, ok := settableFlags[lower]; ok {
		return f, nil
	}
	switch lower {
	case "deleted":
		return bad("cannot be set directly", "Use the delete tool, which moves messages to Trash")
	case "recent", "*":
		return bad("is managed by the server", "Use seen, flagged, answered, draft or a custom keyword")
	}
	if strings.HasPrefix(name, `\`) {
		return bad("is not a system flag that can be changed", "Use seen, flagged, answered, draft or a custom keyword without a backslash")
	}
	if name == "" || len(name) > MaxKeywordLen || !isAtom(name) {
		return bad(fmt.Sprintf("is not a valid keyword (1-%d letters, digits or punctuation other than ( ) { } %% * \" \\ ], no spaces)", MaxKeywordLen),
			"Use a single word such as $Important or FollowUp")
	}
	return imap.Flag(name), nil
}

// isAtom reports whether s is an IMAP atom (RFC 3501 section 9: any CHAR
// except atom-specials; "]" is excluded too, as flag-keyword is an atom in
// a context where resp-specials matter).
func isAtom(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= 0x20 || b >= 0x7f {
			return false
		}
		switch b {
		case '(', ')', '{', '%', '*', '"', '\\', ']':
			return false
		}
	}
	return true
}

func parseFlags(names []string) ([]imap.Flag, error) {
	var out []imap.Flag
	for _, n := range names {
		f, err := ParseFlag(n)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Flag adds and removes flags on messages (UID STORE +FLAGS.SILENT and
// -FLAGS.SILENT, one command each per batch).
func (p *Pool) Flag(ctx context.Context, refs []MessageRef, add, remove []string, opt BulkOptions) (*BulkResult, error) {
	if err := p.writable("flag", refs); err != nil {
		return nil, err
	}
	addF, err := parseFlags(add)
	if err != nil {
		return nil, err
	}
	remF, err := parseFlags(remove)
	if err != nil {
		return nil, err
	}
	if len(addF) == 0 && len(remF) == 0 {
		return nil, &fault.Error{Kind: fault.Invalid, Op: "flag", Err: errors.New("flag: nothing to add or remove"), Hint: "Pass add and/or remove, e.g. add: [\"seen\"]"}
	}
	for _, f := range addF {
		if slices.ContainsFunc(remF, func(g imap.Flag) bool { return strings.EqualFold(string(f), string(g)) }) {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "flag", Err: fmt.Errorf("flag: %q is both added and removed", f), Hint: "Name each flag in add or remove, not both"}
		}
	}
	var keywords []imap.Flag
	for _, f := range slices.Concat(addF, remF) {
		if !strings.HasPrefix(string(f), `\`) {
			keywords = append(keywords, f)
		}
	}
	return p.runBulk(ctx, refs, bulkOp{name: "flag", step: func(ctx context.Context, c *Conn, b *batch) error {
		if err := acceptsKeywords(c, b.folder, keywords); err != nil {
			return err
		}
		set := imap.UIDSetNum(b.uids...)
		if len(addF) > 0 {
			b.sent = true
			if err := c.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: addF}, nil).Close(); err != nil {
				return b.answered(err)
			}
			if len(remF) > 0 {
				b.partial = "flags added, but not yet removed"
			}
		}
		if len(remF) > 0 {
			b.sent = true
			if err := c.c.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsDel, Silent: true, Flags: remF}, nil).Close(); err != nil {
				return b.answered(err)
			}
		}
		b.partial = ""
		return nil
	}}, opt)
}

// acceptsKeywords checks the selected folder's PERMANENTFLAGS (RFC 3501
// 7.1): a server that does not list \* (or the keyword) would drop it.
func acceptsKeywords(c *Conn, folder string, keywords []imap.Flag) error {
	mb := c.c.Mailbox()
	if len(keywords) == 0 || mb == nil || mb.PermanentFlags == nil {
		return nil
	}
	if slices.Contains(mb.PermanentFlags, imap.FlagWildcard) {
		return nil
	}
	for _, k := range keywords {
		if !slices.ContainsFunc(mb.PermanentFlags, func(f imap.Flag) bool { return strings.EqualFold(string(f), string(k)) }) {
			return &fault.Error{Kind: fault.Unsupported, Op: "flag", Err: fmt.Errorf("flag: folder %q does not keep custom keywords such as %q", folder, k),
				Hint: "Use seen, flagged, answered or draft, or a folder on a server that accepts keywords"}
		}
	}
	return nil
}
