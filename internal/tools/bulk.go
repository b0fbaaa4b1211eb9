package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// bulkOut is the structured result of a tool that acts on many ids.
type bulkOut struct {
	Account      string `json:"account"`
	Action       string `json:"action"`
	Destination  string `json:"destination,omitempty"`
	Requested    int    `json:"requested"`
	Succeeded    int    `json:"succeeded"`
	Failed       int    `json:"failed"`
	Unknown      int    `json:"unknown"`
	NotAttempted int    `json:"not_attempted"`
	// Stopped says why the call ended before every id was tried.
	Stopped string                `json:"stopped,omitempty"`
	Results []imapconn.ItemResult `json:"results"`
}

// idsParam is the ids argument of the many-id tools.
func idsParam(what string) mcp.ToolOption {
	return mcp.WithArray("ids", mcp.Required(),
		mcp.Description(fmt.Sprintf("Message ids from search (1-%d) %s.", imapconn.MaxBulk, what)),
		mcp.WithStringItems(mcp.MaxLength(2000)), mcp.MinItems(1))
}

// bulkRun performs one engine operation for a many-id tool.
type bulkRun func(ctx context.Context, p *imapconn.Pool, refs []imapconn.MessageRef, opt imapconn.BulkOptions) (*imapconn.BulkResult, error)

// readIDs reads the ids argument: the refs that parse, and a result for
// every position (filled in for ids that do not parse).
func readIDs(a *Args) (ids []string, refs []imapconn.MessageRef, at []int, results []imapconn.ItemResult) {
	ids = a.Strings("ids")
	if len(ids) == 0 && a.Err() == nil {
		a.fail("ids must list at least one message id")
	}
	if len(ids) > imapconn.MaxBulk {
		a.fail("ids lists %d ids; at most %d per call, so split them into several calls", len(ids), imapconn.MaxBulk)
	}
	results = make([]imapconn.ItemResult, len(ids))
	for i, id := range ids {
		results[i].ID = id
		ref, err := imapconn.ParseID(id)
		if err != nil {
			results[i].Error = err.Error()
			continue
		}
		refs = append(refs, ref)
		at = append(at, i)
	}
	return ids, refs, at, results
}

// accountOf checks that every ref belongs to one account and that the
// account may be changed.
func accountOf(d *Deps, refs []imapconn.MessageRef) (*imapconn.Pool, error) {
	acct := refs[0].Account
	for _, r := range refs[1:] {
		if r.Account != acct {
			return nil, &fault.Error{Kind: fault.Invalid, Op: "ids", Err: fmt.Errorf("the ids belong to accounts %q and %q", acct, r.Account),
				Hint: "Pass the ids of one account per call"}
		}
	}
	if err := refuseReadOnly(d, acct); err != nil {
		return nil, err
	}
	return d.Mail.Pool(acct)
}

// refuseReadOnly refuses writes on an account configured read-only.
func refuseReadOnly(d *Deps, account string) error {
	if accountInfo(d, account).ReadOnly {
		return &fault.Error{Kind: fault.ReadOnly, Op: "write", Err: fmt.Errorf("account %q is read-only", account),
			Hint: "The user configured this account as read-only; mailmcp will not change its mailbox"}
	}
	return nil
}

// writablePool resolves the account argument of a folder tool and refuses
// read-only accounts.
func writablePool(d *Deps, a *Args) (*imapconn.Pool, error) {
	p, err := pool(d, a)
	if err != nil {
		return nil, err
	}
	if err := refuseReadOnly(d, p.Account().ID); err != nil {
		return nil, err
	}
	return p, nil
}

// handleBulk runs a many-id tool: argument checks, progress notifications
// between batches, and one result per id in the order given.
func handleBulk(ctx context.Context, d *Deps, a *Args, action, dest string, run bulkRun) *mcp.CallToolResult {
	ids, refs, at, results := readIDs(a)
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	if len(refs) == 0 {
		return errResult(&fault.Error{Kind: fault.Invalid, Op: action, Err: errors.New("none of the ids is a message id"),
			Hint: "Use ids exactly as returned by search"})
	}
	p, err := accountOf(d, refs)
	if err != nil {
		return errResult(err)
	}
	prog := newProgress(ctx, a, len(ids))
	bad := len(ids) - len(refs)
	res, err := run(ctx, p, refs, imapconn.BulkOptions{Progress: func(done, total int) {
		prog.Report(bad+done, fmt.Sprintf("%s: %d of %d done", action, bad+done, len(ids)))
	}})
	if err != nil {
		return errResult(err)
	}
	for j, r := range res.Results {
		r.ID = ids[at[j]]
		results[at[j]] = r
	}
	out := bulkOut{Account: p.Account().ID, Action: action, Destination: dest, Requested: len(ids),
		Succeeded: res.Succeeded, Failed: res.Failed + bad, Unknown: res.Unknown, NotAttempted: res.NotAttempted,
		Stopped: res.Stopped, Results: results}
	return okResult(out, renderBulk(out))
}

// maxTextLines bounds the per-id lines of the text rendering (the
// structured result has every id).
const maxTextLines = 30

func renderBulk(o bulkOut) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d of %d succeeded", o.Action, o.Succeeded, o.Requested)
	if o.Destination != "" {
		fmt.Fprintf(&b, " (destination %s)", o.Destination)
	}
	if o.Failed > 0 {
		fmt.Fprintf(&b, ", %d failed", o.Failed)
	}
	if o.Unknown > 0 {
		fmt.Fprintf(&b, ", %d unknown (the connection dropped mid-command: search the destination to check before retrying)", o.Unknown)
	}
	if o.NotAttempted > 0 {
		fmt.Fprintf(&b, ", %d not attempted", o.NotAttempted)
	}
	b.WriteString(".\n")
	if o.Stopped != "" {
		fmt.Fprintf(&b, "Stopped early: %s.\n", o.Stopped)
	}
	lines := 0
	line := func(r imapconn.ItemResult) {
		if lines == maxTextLines {
			fmt.Fprintf(&b, "… more in the structured results.\n")
		}
		lines++
		if lines > maxTextLines {
			return
		}
		switch {
		case r.OK && r.NewID != "" && r.NewID != r.ID:
			fmt.Fprintf(&b, "- %s: ok, new id %s", r.ID, r.NewID)
		case r.OK:
			fmt.Fprintf(&b, "- %s: ok", r.ID)
		default:
			fmt.Fprintf(&b, "- %s: %s", r.ID, r.Error)
		}
		if r.Note != "" {
			fmt.Fprintf(&b, " (%s)", r.Note)
		}
		b.WriteByte('\n')
	}
	// Problems first: they are what the agent must act on.
	for _, r := range o.Results {
		if !r.OK {
			line(r)
		}
	}
	for _, r := range o.Results {
		if r.OK {
			line(r)
		}
	}
	return b.String()
}
