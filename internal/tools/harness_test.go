package tools

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mailmcp/mailmcp/internal/audit"
	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/demo"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/internal/outbox"
	"github.com/mailmcp/mailmcp/internal/policy"
	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
)

// harness runs the tools behind a real MCP server and talks to it through
// mcp-go's in-process client, so tests see exactly what an agent sees:
// argument validation, output-schema validation, results and progress.
type harness struct {
	t      *testing.T
	Demo   *demo.Server // nil unless the harness started the demo service
	Mail   *imapconn.Manager
	Deps   *Deps
	Client *client.Client

	// StateDir holds the store and audit log when Sending is set.
	StateDir string
	// Store is the state store when Sending is set.
	Store store.Store

	mu       sync.Mutex
	progress []map[string]any
}

// harnessOptions tune newHarness.
type harnessOptions struct {
	ReadOnly bool
	// Accounts replace the demo account (then no demo service is started);
	// Infos must describe them in the same order.
	Accounts []*imapconn.Account
	Infos    []AccountInfo
	// Info adjusts the demo account's description (directories, limits).
	Info func(*AccountInfo)
	// Account adjusts the demo account's connection (e.g. its SMTP server).
	Account func(*imapconn.Account)
	// Outbox adjusts the outbox configuration (retry delays) when Sending.
	Outbox func(*outbox.Config)
	// Deps adjusts the dependencies before the tools are registered.
	Deps func(*Deps)
	// Sending opens a state store, the outbox (submitting to the demo's
	// SMTP server), the send-policy ledger and confirmations.
	Sending bool
	// Elicit, when set, makes the client offer elicitation and answer
	// with this handler.
	Elicit client.ElicitationHandler
}

// newHarness starts a fresh demo mailbox (unless opt.Accounts is set) and
// an MCP server with every tool, and connects a client.
func newHarness(t *testing.T, opt harnessOptions) *harness {
	t.Helper()
	h := &harness{t: t}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	accts, infos := opt.Accounts, opt.Infos
	if accts == nil {
		srv, err := demo.Start(demo.Options{Logger: log})
		if err != nil {
			t.Fatalf("start demo: %v", err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Close(ctx)
		})
		h.Demo = srv
		host, port := splitHostPort(t, srv.IMAPAddr)
		shost, sport := splitHostPort(t, srv.SMTPAddr)
		accts = []*imapconn.Account{{
			ID: "demo", Email: demo.Email, Provider: "generic",
			IMAP: imapconn.Endpoint{Host: host, Port: port, TLS: "plain"},
			SMTP: imapconn.Endpoint{Host: shost, Port: sport, TLS: "plain"},
			Auth: &auth.PasswordLogin{Username: demo.Email, Source: auth.SecretSource{Command: "printf %s " + demo.Password}},
		}}
		info := AccountInfo{ID: "demo", Email: demo.Email, Name: demo.Name, Provider: "generic",
			DownloadDir: t.TempDir(), InlineAttachmentMax: 1 << 20, MaxRecipients: 50, MaxMessageBytes: 25 << 20}
		if opt.Info != nil {
			opt.Info(&info)
		}
		if opt.Account != nil {
			opt.Account(accts[0])
		}
		infos = []AccountInfo{info}
	}
	h.Mail = imapconn.NewManager(accts, log)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = h.Mail.Close(ctx)
	})
	h.Deps = &Deps{Mail: h.Mail, Accounts: infos, Log: log}
	if opt.Sending {
		h.startSending(t, log, opt.Outbox)
	}
	if opt.Deps != nil {
		opt.Deps(h.Deps)
	}

	s := server.NewMCPServer("mailmcp-test", "test",
		server.WithToolCapabilities(false),
		server.WithOutputSchemaValidation(),
	)
	Register(s, h.Deps, Options{ReadOnly: opt.ReadOnly})
	var copts []client.ClientOption
	if opt.Elicit != nil {
		copts = append(copts, client.WithElicitationHandler(opt.Elicit))
	}
	c, err := client.NewInProcessClientWithOptions(s, copts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/progress" {
			h.mu.Lock()
			h.progress = append(h.progress, n.Params.AdditionalFields)
			h.mu.Unlock()
		}
	})
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "tools-test", Version: "test"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	h.Client = c
	return h
}

// startSending gives the tools a state store, an outbox that submits to
// the demo's SMTP server, the policy ledger, confirmations and an audit log;
// all are closed before the mail pools.
func (h *harness) startSending(t *testing.T, log *slog.Logger, tune func(*outbox.Config)) {
	t.Helper()
	dir := t.TempDir()
	st := statetest.Open(t, dir)
	saves := map[string]bool{}
	for _, info := range h.Deps.Accounts {
		saves[info.ID] = info.SavesSent
	}
	cfg := outbox.Config{Store: st, Dir: filepath.Join(dir, "outbox"), Log: log,
		Transport: &outbox.MailTransport{Mail: h.Mail, ProviderSavesSent: func(id string) bool { return saves[id] }}}
	if tune != nil {
		tune(&cfg)
	}
	ob, err := outbox.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ob.Start()
	al, err := audit.Open(dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.Deps.Outbox, h.Deps.Ledger, h.Deps.Confirm, h.Deps.Audit = ob, policy.NewLedger(st), policy.NewConfirmations(st, 0), al
	h.StateDir, h.Store = dir, st
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ob.Close(ctx)
		st.Close()
	})
}

// Call invokes a tool; a protocol-level error fails the test.
func (h *harness) Call(name string, args map[string]any) *mcp.CallToolResult {
	h.t.Helper()
	return h.CallCtx(context.Background(), name, args, nil)
}

// CallCtx invokes a tool with a context and an optional progress token.
func (h *harness) CallCtx(ctx context.Context, name string, args map[string]any, progressToken any) *mcp.CallToolResult {
	h.t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	if progressToken != nil {
		req.Params.Meta = &mcp.Meta{ProgressToken: progressToken}
	}
	res, err := h.Client.CallTool(ctx, req)
	if err != nil {
		h.t.Fatalf("call %s: %v", name, err)
	}
	return res
}

// OK invokes a tool that must succeed and returns its structured content
// decoded into a generic map.
func (h *harness) OK(name string, args map[string]any) map[string]any {
	h.t.Helper()
	res := h.Call(name, args)
	if res.IsError {
		h.t.Fatalf("%s(%v) failed: %s", name, args, resultText(res))
	}
	var out map[string]any
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("%s: structured content is not an object: %s", name, b)
	}
	return out
}

// Decode invokes a tool that must succeed and decodes its structured
// content into v.
func (h *harness) Decode(name string, args map[string]any, v any) *mcp.CallToolResult {
	h.t.Helper()
	res := h.Call(name, args)
	if res.IsError {
		h.t.Fatalf("%s(%v) failed: %s", name, args, resultText(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		h.t.Fatalf("%s: decode %s: %v", name, b, err)
	}
	return res
}

// Fail invokes a tool that must fail with a tool error and returns its text.
func (h *harness) Fail(name string, args map[string]any) string {
	h.t.Helper()
	res := h.Call(name, args)
	if !res.IsError {
		h.t.Fatalf("%s(%v) succeeded, want a tool error: %s", name, args, resultText(res))
	}
	return resultText(res)
}

// Progress returns the progress notifications received so far.
func (h *harness) Progress() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.progress...)
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return h, n
}
