package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/parse"
)

// Sent and Drafts are folders whose contents mailmcp acts on: known
// correspondents are learned from Sent, and send_draft sends what is in
// Drafts. So copy and move into them are screened (issue 14, item 3):
//   - a message whose From is not the account's address is refused there
//     (received mail placed in Sent would plant "known correspondents";
//     in Drafts it would be mail to send as the account);
//   - a message from the account's address (which a sender can forge) is
//     copied or moved, but its Message-ID is recorded as placed by the
//     agent, so it never teaches correspondents and never passes for a
//     draft mailmcp saved; the result says so.

// placedNote is the per-id note for a message copied or moved into Sent or
// Drafts.
const placedNote = "placed by the agent: mailmcp learns no correspondents from it and send_draft treats it as untrusted"

// placement is the screening of one copy or move into Sent or Drafts.
type placement struct {
	keep    []imapconn.MessageRef
	keptAt  []int          // position in refs of each kept ref
	refused map[int]string // position in refs → why
	total   int
}

// screenPlacement screens refs for a copy or move to dest. Outside Sent
// and Drafts it keeps every ref unread (nil placement).
func screenPlacement(ctx context.Context, d *Deps, p *imapconn.Pool, refs []imapconn.MessageRef, dest string) (*placement, error) {
	f, err := p.ResolveFolder(ctx, dest)
	if err != nil {
		return nil, err
	}
	role := f.Role
	for _, r := range []string{imapconn.RoleSent, imapconn.RoleDrafts} {
		if name, err := p.FolderForRole(ctx, r); err == nil && name == f.Name {
			role = r
		}
	}
	if role != imapconn.RoleSent && role != imapconn.RoleDrafts {
		return nil, nil
	}
	acct := p.Account()
	self, _ := policy.NormAddress(acct.Email)
	pl := &placement{refused: map[int]string{}, total: len(refs)}
	for i, ref := range refs {
		fm, err := p.FetchMessage(ctx, ref, imapconn.FetchOptions{TextBudget: 1, Parse: parse.ParseOptions{MaxTextBytes: 1}})
		if err != nil {
			pl.refused[i] = err.Error()
			continue
		}
		if who := foreignFrom(fm.Message, self); who != "" {
			pl.refused[i] = fmt.Sprintf("refused: its From (%s) is not this account's address, and mail from others is never placed in %s "+
				"(there it would pass for mail the account sent or is about to send); nothing was changed", who, f.Name)
			continue
		}
		if d.Ledger == nil || fm.Message.MessageID == "" {
			pl.refused[i] = "refused: without a Message-ID (or a state store) mailmcp cannot remember that the agent placed it in " + f.Name
			continue
		}
		if err := d.Ledger.RecordPlaced(ctx, acct.ID, fm.Message.MessageID); err != nil {
			return nil, fault.Wrap(fault.Unavailable, "record placed message", err)
		}
		pl.keep = append(pl.keep, ref)
		pl.keptAt = append(pl.keptAt, i)
	}
	return pl, nil
}

// foreignFrom returns the From addresses when they are not exactly the
// account's own address ("" when they are).
func foreignFrom(m *parse.Message, self string) string {
	var others []string
	for _, a := range m.From {
		if n, err := policy.NormAddress(a.Email); err != nil || n != self {
			others = append(others, a.Email)
		}
	}
	if len(m.From) == 0 {
		return "none"
	}
	return strings.Join(others, ", ")
}

// merge puts the refused ids back, in order, into the result of the
// operation on the kept ones.
func (pl *placement) merge(res *imapconn.BulkResult) *imapconn.BulkResult {
	out := &imapconn.BulkResult{Results: make([]imapconn.ItemResult, pl.total), Stopped: res.Stopped,
		Succeeded: res.Succeeded, Failed: res.Failed + len(pl.refused), Unknown: res.Unknown, NotAttempted: res.NotAttempted}
	for i, why := range pl.refused {
		out.Results[i] = imapconn.ItemResult{Error: why}
	}
	for j, r := range res.Results {
		if r.OK {
			r.Note = joinWarn(r.Note, placedNote)
		}
		out.Results[pl.keptAt[j]] = r
	}
	return out
}
