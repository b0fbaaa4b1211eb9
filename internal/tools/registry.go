package tools

import (
	"context"
	"log/slog"
	"slices"
	"sort"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/account"
	"github.com/mailmcp/mailmcp/internal/audit"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/index"
	"github.com/mailmcp/mailmcp/internal/outbox"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// Deps are what handlers use; cmd/mailmcp builds them from the config.
type Deps struct {
	Mail     *imapconn.Manager
	Accounts []AccountInfo
	Log      *slog.Logger
	// Outbox journals and submits outgoing mail (nil: sending unavailable).
	Outbox *outbox.Outbox
	// Audit records every call of a write tool (nil: no audit log).
	Audit *audit.Log
	// Ledger keeps sending caps and known correspondents; Confirm holds
	// messages waiting for the user's confirmation (nil: unavailable).
	Ledger  *policy.Ledger
	Confirm *policy.Confirmations
	// Watch follows folders for watch_inbox and mail:// resources (nil:
	// watching unavailable).
	Watch *watch.Hub
	// Indexes are the local indexes by account id (accounts with
	// index = true; see internal/index).
	Indexes map[string]*index.Service
}

// AccountInfo is the static description of an account, the tools' view of
// the one domain account value (see package account).
type AccountInfo = account.Info

// Tool is one self-describing MCP tool.
type Tool struct {
	Name        string
	Title       string
	Description string
	// Writes marks tools that change mailboxes or send mail; they are never
	// registered in read-only mode.
	Writes bool
	// Sends marks tools that submit mail; they are left out when every
	// account's send_policy is disabled.
	Sends       bool
	Destructive bool
	Idempotent  bool
	// OpenWorld: talks to systems outside mailmcp (every mail tool does).
	OpenWorld bool
	// Params are the input properties (mcp.WithString(...), …).
	Params []mcp.ToolOption
	// Output sets the output schema (mcp.WithOutputSchema[T]()); every
	// success must then carry matching structuredContent.
	Output mcp.ToolOption
	// Handle runs the call.
	Handle func(ctx context.Context, d *Deps, a *Args) *mcp.CallToolResult

	// Toolset is the group the tool belongs to; the registry table in
	// toolsets.go sets it.
	Toolset Toolset
}

// MCP builds the mcp.Tool with every annotation set explicitly (mcp-go
// defaults to destructive and open-world otherwise). The title is given
// once, as the tool's title (annotations.title would repeat it); the input
// schema is published as RawInputSchema, compacted by compactInput.
func (t *Tool) MCP() mcp.Tool {
	m, _ := t.build()
	return m
}

// build returns the published tool and the full input schema that
// checkArgs enforces (with the length bounds the published one leaves out).
func (t *Tool) build() (mcp.Tool, schemaNode) {
	opts := []mcp.ToolOption{
		mcp.WithDescription(t.Description),
		mcp.WithToolTitle(t.Title),
		mcp.WithToolAnnotation(mcp.ToolAnnotation{
			ReadOnlyHint:    mcp.ToBoolPtr(!t.Writes),
			DestructiveHint: mcp.ToBoolPtr(t.Destructive),
			IdempotentHint:  mcp.ToBoolPtr(t.Idempotent),
			OpenWorldHint:   mcp.ToBoolPtr(t.OpenWorld),
		}),
	}
	opts = append(opts, t.Params...)
	// Unknown parameters are refused (by checkArgs, and by schema-aware
	// clients before the call).
	opts = append(opts, mcp.WithSchemaAdditionalProperties(false))
	if t.Output != nil {
		opts = append(opts, mcp.WithRawOutputSchema(t.outputSchema()))
	}
	m := mcp.NewTool(t.Name, opts...)
	full := toNode(t.Name, m.InputSchema)
	m.RawInputSchema = compactInput(t.Name, m.InputSchema)
	m.InputSchema = mcp.ToolInputSchema{}
	return m, full
}

// All returns every tool, sorted by name.
func All() []*Tool {
	var all []*Tool
	for _, set := range toolsetDefs() {
		for _, f := range set.tools {
			t := f()
			t.Toolset = set.name
			all = append(all, t)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	return all
}

// Options for Register.
type Options struct {
	// ReadOnly leaves out every tool that writes.
	ReadOnly bool
	// NoSending leaves out every tool that sends (send_policy disabled on
	// every account).
	NoSending bool
	// Toolsets chooses the groups of tools to offer (nil: all of them);
	// core tools are always offered.
	Toolsets []Toolset
}

// Available returns the tools Register would add.
func Available(opt Options) []*Tool {
	var out []*Tool
	for _, t := range All() {
		if t.Writes && opt.ReadOnly || t.Sends && opt.NoSending {
			continue
		}
		if opt.Toolsets != nil && t.Toolset != ToolsetCore && !slices.Contains(opt.Toolsets, t.Toolset) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// Register adds the available tools to s.
func Register(s *server.MCPServer, d *Deps, opt Options) {
	for _, t := range Available(opt) {
		m, full := t.build()
		s.AddTool(m, handler(t, d, full))
	}
}

// handler adapts a Tool to mcp-go: it checks the arguments against the
// tool's input schema (see checkArgs) and turns panics into tool errors so
// one bad message can never take the server down.
func handler(t *Tool, d *Deps, schema schemaNode) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				d.Log.Error("tool panicked", "tool", t.Name, "panic", r)
				res = errResult(fault.New(fault.Internal, t.Name, "internal error in "+t.Name+"; the server logged it").WithHint("Try again or use another tool"))
			}
		}()
		a := newArgs(req)
		defer func() { auditCall(d, t, a, res) }()
		if err := checkArgs(schema, a.m); err != nil {
			return errResult(err), nil
		}
		res = t.Handle(context.WithValue(ctx, toolNameKey{}, t.Name), d, a)
		return res, nil
	}
}
