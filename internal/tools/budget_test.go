package tools

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/server"
)

// TestToolListBudget fails when tools/list, as the bytes a client receives,
// grows past its budget per toolset: clients that pass the list to the
// model pay for it in every turn. The budgets are today's sizes plus a
// little; issue 17 asks for 30 KB (default) and 12 KB (read), not reached
// yet: lower them as descriptions and schemas are trimmed.
func TestToolListBudget(t *testing.T) {
	for _, c := range []struct {
		name   string
		sets   []Toolset
		budget int
	}{
		{"all", nil, 71_500},
		{"read", []Toolset{ToolsetRead}, 20_000},
		{"organise", []Toolset{ToolsetOrganise}, 15_000},
		{"send", []Toolset{ToolsetSend}, 37_000},
		{"watch", []Toolset{ToolsetWatch}, 6_500},
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
