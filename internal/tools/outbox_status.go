package tools

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/outbox"
	"github.com/mailmcp/mailmcp/parse"
)

// bounceScanMax bounds the delivery reports examined per call.
const bounceScanMax = 50

type outboxStatusOutput struct {
	Items []sendOutput `json:"items"`
	// BounceCheck says whether INBOX was checked for delivery reports.
	BounceCheck string `json:"bounce_check,omitempty"`
}

func outboxStatusTool() *Tool {
	return &Tool{
		Name:        "outbox_status",
		Title:       "Outbox: sent, queued and failed mail",
		Description: "List recent outgoing email and what became of it: sent, partially_sent, queued, failed (with the reason), in_doubt or cancelled, per recipient, with bounces that arrived later in INBOX. Pass outbox_id for one item.",
		Writes:      false, Idempotent: true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("outbox_id", mcp.MaxLength(64), mcp.Description("One item's outbox id.")),
			mcp.WithString("status", mcp.Enum("queued", "submitting", "sent", "failed", "in_doubt", "cancelled"), mcp.Description("Only items in this state.")),
			mcp.WithNumber("limit", mcp.Min(1), mcp.Max(100), mcp.Description("Most items to list, newest first (default 20).")),
			mcp.WithBoolean("check_bounces", mcp.Description("Look in INBOX for delivery reports about these messages first (default true).")),
		},
		Handle: outboxStatus,
	}
}

func outboxStatus(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	if r := sendingUnavailable(d); r != nil {
		return r
	}
	id, state := a.String("outbox_id", ""), a.String("status", "")
	limit, check := a.Int("limit", 20, 1, 100), a.Bool("check_bounces", true)
	account := a.String("account", "")
	if err := a.Err(); err != nil {
		return errResult(err)
	}
	if account != "" {
		// An unknown account is an error, not an empty outbox.
		if _, err := d.Mail.Pool(account); err != nil {
			return errResult(err)
		}
	}
	var out outboxStatusOutput
	if check {
		out.BounceCheck = checkBounces(ctx, d, account)
	}
	var items []*outbox.Item
	if id != "" {
		it, err := d.Outbox.Get(ctx, id)
		switch {
		case errors.Is(err, outbox.ErrNotFound):
			return errResult(fault.New(fault.NotFound, "outbox_status", "no outbox item "+id).WithHint("Call outbox_status without outbox_id to list them"))
		case err != nil:
			return errResult(err) // the store failed: not the agent's id
		}
		items = []*outbox.Item{it}
	} else {
		opt := outbox.ListOptions{Account: account, Limit: limit}
		if state != "" {
			opt.States = []outbox.State{outbox.State(state)}
		}
		var err error
		if items, err = d.Outbox.List(ctx, opt); err != nil {
			return errResult(err)
		}
	}
	var b strings.Builder
	if len(items) == 0 {
		b.WriteString("The outbox is empty (no messages sent through mailmcp in the last 30 days match).")
	}
	out.Items = []sendOutput{}
	for _, it := range items {
		o := itemOutput(it)
		out.Items = append(out.Items, o)
		fmt.Fprintf(&b, "- %s %q: %s\n", it.Created.Format(time.DateTime), it.Subject, describeItem(&o))
	}
	if out.BounceCheck != "" {
		b.WriteString(out.BounceCheck + "\n")
	}
	return okResult(out, b.String())
}

// checkBounces links delivery-status reports in the INBOX of the accounts
// (or of account) to outbox items, and says what it did.
func checkBounces(ctx context.Context, d *Deps, account string) string {
	ids := d.Mail.IDs()
	if account != "" {
		ids = []string{account}
	}
	var notes []string
	for _, acct := range ids {
		n, err := scanReports(ctx, d, acct)
		if err != nil {
			notes = append(notes, fmt.Sprintf("could not check %s's INBOX for bounces: %v", acct, err))
		} else if n > 0 {
			notes = append(notes, fmt.Sprintf("linked %d new delivery report(s) from %s's INBOX", n, acct))
		}
	}
	return strings.Join(notes, "; ")
}

// scanReports examines delivery reports that arrived in INBOX since the
// account's oldest outbox item of the last 30 days.
func scanReports(ctx context.Context, d *Deps, account string) (int, error) {
	since, err := d.Outbox.Oldest(ctx, account, time.Now().Add(-30*24*time.Hour))
	if err != nil || since.IsZero() {
		return 0, err
	}
	p, err := d.Mail.Pool(account)
	if err != nil {
		return 0, err
	}
	crit := imapconn.Criteria{Since: since.Add(-24 * time.Hour), Header: [][2]string{{"Content-Type", "report"}}}
	page, err := p.Search(ctx, "INBOX", crit, bounceScanMax, "")
	if err != nil {
		return 0, err
	}
	linked := 0
	for _, env := range page.Messages {
		rid := env.ID
		if seen, err := d.Outbox.Seen(ctx, account, rid); err != nil || seen {
			continue
		}
		ref, err := imapconn.ParseID(rid)
		if err != nil {
			continue
		}
		raw, err := readRaw(ctx, p, ref, 1<<20)
		if err != nil {
			return linked, err
		}
		msg, err := parse.Parse(bytes.NewReader(raw), parse.ParseOptions{})
		if err != nil {
			return linked, err
		}
		rep := outbox.Report{ReportID: rid}
		if t, err := time.Parse(time.RFC3339, msg.Date); err == nil {
			rep.At = t
		}
		if ds := msg.DeliveryStatus; ds != nil {
			rep.EnvID, rep.OriginalMessageID = ds.OriginalEnvelopeID, ds.OriginalMessageID
			for _, r := range ds.Recipients {
				rep.Recipients = append(rep.Recipients, outbox.ReportRecipient{FinalRecipient: r.FinalRecipient, OriginalRecipient: r.OriginalRecipient,
					Action: r.Action, Status: r.Status, Diagnostic: r.Diagnostic})
			}
		}
		item, err := d.Outbox.LinkReport(ctx, account, rep)
		if err != nil {
			return linked, err
		}
		if item != "" {
			linked++
		}
	}
	return linked, nil
}
