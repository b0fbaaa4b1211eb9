package tools

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/server"
)

// TestToolListBudget fails when tools/list, as the bytes a client receives,
// grows past its budget per toolset: clients that pass the list to the
// model pay for it in every turn. Issue 17 asks for at most 30 KB for the
// default (all toolsets) and 12 KB for read; the budgets are the sizes
// after the trim plus a few percent. A change that needs more must take
// the bytes from elsewhere (descriptions, output schemas) or argue for a
// new budget in review.
func TestToolListBudget(t *testing.T) {
	for _, c := range []struct {
		name   string
		sets   []Toolset
		budget int
	}{
		{"all", nil, 30_000},
		{"read", []Toolset{ToolsetRead}, 11_000},
		{"organise", []Toolset{ToolsetOrganise}, 7_300},
		{"send", []Toolset{ToolsetSend}, 14_100},
		{"watch", []Toolset{ToolsetWatch}, 3_200},
	} {
		s := server.NewMCPServer("mailmcp", "test", server.WithToolCapabilities(false))
		Register(s, &Deps{}, Options{Toolsets: c.sets})
		ctx := context.Background()
		s.HandleMessage(ctx, json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"budget","version":"1"}}}`))
		b, err := json.Marshal(s.HandleMessage(ctx, json.RawMessage(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("toolsets %s: tools/list is %d bytes (budget %d)", c.name, len(b), c.budget)
		if len(b) > c.budget {
			t.Errorf("toolsets %s: tools/list is %d bytes, over its budget of %d: trim descriptions or schemas", c.name, len(b), c.budget)
		}
	}
}
