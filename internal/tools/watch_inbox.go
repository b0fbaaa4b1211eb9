package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/present"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// Long-poll bounds: OpenClaw cancels a tool call after 60 s by default.
const (
	watchDefaultTimeout = 25
	watchMaxTimeout     = 50
	// watchReadyWait bounds the wait for a watcher's first connection.
	watchReadyWait = 10 * time.Second
)

// WatchResult is what watch_inbox returns.
type WatchResult struct {
	Events []watch.Event `json:"events"`
	// Cursor is the since value for the next call.
	Cursor string `json:"cursor"`
	// TimedOut: no matching event arrived within timeout_seconds.
	TimedOut bool `json:"timed_out"`
	// Gap: some events after since were already dropped (retention).
	Gap bool `json:"gap,omitempty"`
	// More: more events are waiting; call again at once with cursor.
	More bool `json:"more,omitempty"`
	// Watching lists the folders followed, as account/folder.
	Watching []string `json:"watching"`
}

func watchInboxTool() *Tool {
	return &Tool{
		Name:        "watch_inbox",
		Title:       "Wait for new email",
		Description: "Wait for new email (long-poll): returns what arrived since the cursor at once, or waits up to timeout_seconds for the first message. Each is reported once, with envelope and snippet. Pass the returned cursor as since next time; omit since to start from now. timed_out with no events: no new mail yet.",
		Idempotent:  true, OpenWorld: true,
		Params: []mcp.ToolOption{
			accountParam(),
			mcp.WithString("since", mcp.Description("cursor of the previous call; omit to start from now."), mcp.MaxLength(40)),
			mcp.WithArray("folders", mcp.Description("Folders to watch, by name or role (inbox, sent, drafts, archive, junk, trash); default: the account's watched folders."), mcp.WithStringItems(mcp.MaxLength(500)), mcp.MaxItems(10)),
			mcp.WithInteger("timeout_seconds", mcp.Description(fmt.Sprintf("Seconds to wait for the first new message (0-%d).", watchMaxTimeout)),
				mcp.Min(0), mcp.Max(watchMaxTimeout), mcp.DefaultNumber(watchDefaultTimeout)),
			mcp.WithString("from", mcp.Description("Sender address or name contains this text."), mcp.MaxLength(500)),
			mcp.WithBoolean("unseen", mcp.Description("true: only messages that are still unread.")),
			mcp.WithBoolean("include_changes", mcp.Description("Also report flag changes and deleted messages, not only new mail.")),
			mcp.WithInteger("limit", mcp.Description("Most events per call."), mcp.Min(1), mcp.Max(100), mcp.DefaultNumber(20)),
		},
		Handle: handleWatchInbox,
	}
}

func handleWatchInbox(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult {
	p, err := pool(d, a)
	since := a.String("since", "")
	folders := a.Strings("folders")
	for _, f := range folders {
		a.NoControl("folders", f)
	}
	timeout := time.Duration(a.Int("timeout_seconds", watchDefaultTimeout, 0, watchMaxTimeout)) * time.Second
	flt := &watch.Filter{From: a.NoControl("from", a.String("from", "")), Unseen: a.Bool("unseen", false)}
	if !a.Bool("include_changes", false) {
		flt.Kinds = []watch.Kind{watch.KindMessage, watch.KindReset}
	}
	limit := a.Int("limit", 20, 1, 100)
	var after uint64
	if since != "" {
		var cerr error
		if after, cerr = watch.ParseCursor(since); cerr != nil {
			a.fail("since: %v; pass the cursor exactly as returned, or omit since", cerr)
		}
	}
	if aerr := a.Err(); aerr != nil {
		return errResult(aerr)
	}
	if err != nil {
		return errResult(err)
	}
	if d.Watch == nil {
		return errResult(&fault.Error{Kind: fault.Unsupported, Op: "watch", Err: errors.New("watching for new mail is not available in this mailmcp instance"),
			Hint: "Use search with since= to look for new mail instead"})
	}
	acct := p.Account().ID
	if len(folders) == 0 {
		folders = d.Watch.Folders(acct)
	} else {
		// Folders the agent named are resolved as move and search resolve
		// them: a role means the account's folder for it, a typo is a
		// not-found naming the closest folders (rather than a watcher that
		// never starts).
		found, err := p.ResolveFolders(ctx, folders)
		if err != nil {
			return errResult(err)
		}
		for i, f := range found {
			folders[i] = f.Name
		}
	}
	flt.Accounts, flt.Folders = []string{acct}, folders
	res := WatchResult{Events: []watch.Event{}}

	// Hold a watcher on every folder for the length of the call: the
	// daemon's continuous ones, or on-demand ones in a stdio process (they
	// still resume from the durable checkpoint).
	var ws []*watch.Watcher
	for _, f := range folders {
		w, release, err := d.Watch.Acquire(acct, f)
		if err != nil {
			return errResult(err)
		}
		defer release()
		ws = append(ws, w)
		res.Watching = append(res.Watching, acct+"/"+f)
	}
	if err := waitWatchers(ctx, ws, min(watchReadyWait, max(timeout, time.Second))); err != nil {
		return errResult(err)
	}
	feed := d.Watch.Feed()
	if since == "" {
		head, err := feed.Head(ctx)
		if err != nil {
			return errResult(err)
		}
		after = head
	}
	start := time.Now()
	prog := newProgress(ctx, a, int(timeout/time.Second))
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	page, err := feed.Wait(wctx, after, limit, flt, func() {
		prog.Report(int(time.Since(start)/time.Second), "waiting for new mail")
	})
	if err != nil {
		return errResult(err)
	}
	res.Cursor, res.Gap, res.More = watch.Cursor(page.Next), page.Gap, page.More
	if len(page.Events) > 0 {
		res.Events = page.Events
		defuseEvents(res.Events)
		recordSeenEvents(ctx, d, res.Events)
	} else {
		res.TimedOut = true
	}
	return okResult(res, present.Defuse(watchText(&res))) // addresses too
}

// waitWatchers waits until every watcher has caught up after connecting, so
// "now" comes after the backlog, and turns a connection failure into an
// error the agent can read.
func waitWatchers(ctx context.Context, ws []*watch.Watcher, limit time.Duration) error {
	t := time.NewTimer(limit)
	defer t.Stop()
	for _, w := range ws {
		select {
		case <-w.Ready():
			continue
		case <-ctx.Done():
			return &fault.Error{Kind: fault.Cancelled, Op: "watch", Err: errors.New("cancelled")}
		case <-t.C:
		}
		if err := w.Err(); err != nil {
			return &fault.Error{Kind: fault.Unavailable, Op: "watch", Err: fmt.Errorf("cannot watch %s/%s: %v", w.Account(), w.Folder(), err),
				Hint: "Check the folder name with list_folders; if the server is unreachable, try again later"}
		}
		return &fault.Error{Kind: fault.Timeout, Op: "watch", Err: fmt.Errorf("the mail server did not let mailmcp watch %s/%s in time", w.Account(), w.Folder()),
			Hint: "Try again in a moment"}
	}
	return nil
}

func watchText(r *WatchResult) string {
	var b strings.Builder
	if len(r.Events) == 0 {
		fmt.Fprintf(&b, "No new mail in %s. Call watch_inbox again with since=%q to keep waiting.", strings.Join(r.Watching, ", "), r.Cursor)
		return b.String()
	}
	b.WriteString(untrustedNote)
	fmt.Fprintf(&b, "%d new event(s); next since=%q", len(r.Events), r.Cursor)
	if r.More {
		b.WriteString(" (more waiting: call again now)")
	}
	if r.Gap {
		b.WriteString(" (some older events had expired)")
	}
	b.WriteString("\n")
	for _, e := range r.Events {
		switch e.Kind {
		case watch.KindMessage:
			name, addr := e.From()
			from := addr
			if name != "" {
				from = name + " <" + addr + ">"
			}
			date := ""
			if e.Envelope != nil {
				date = e.Envelope.Date
			}
			fmt.Fprintf(&b, "- new in %s: %s | from %s | %q | %s\n", e.Folder, e.MessageID, from, e.Subject(), date)
			if e.Snippet != "" {
				fmt.Fprintf(&b, "  %s\n", e.Snippet)
			}
		case watch.KindFlags:
			fmt.Fprintf(&b, "- flags of %s in %s: %s\n", e.MessageID, e.Folder, strings.Join(e.Flags, ", "))
		case watch.KindExpunged:
			fmt.Fprintf(&b, "- removed from %s: %s\n", e.Folder, e.MessageID)
		case watch.KindReset:
			fmt.Fprintf(&b, "- ids of %s changed (server reset): search again; earlier ids no longer work\n", e.Folder)
		}
	}
	return b.String()
}
