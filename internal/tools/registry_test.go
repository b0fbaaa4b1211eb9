package tools

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the schema snapshots")

// listingTools are the tools that declare an output schema.
var listingTools = map[string]bool{"search": true, "list_accounts": true, "list_folders": true, "list_drafts": true}

var snakeCase = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestInventory walks every tool: names, descriptions, schemas, annotations.
func TestInventory(t *testing.T) {
	seen := map[string]bool{}
	for _, tool := range All() {
		m := tool.MCP()
		t.Run(m.Name, func(t *testing.T) {
			if !snakeCase.MatchString(m.Name) || seen[m.Name] {
				t.Errorf("name %q must be unique snake_case", m.Name)
			}
			seen[m.Name] = true
			// OpenClaw exposes tools as <server>__<tool> within 64 chars.
			if len("email__"+m.Name) > 64 {
				t.Errorf("name %q too long for OpenClaw", m.Name)
			}
			if len(m.Description) < 80 || len(m.Description) > 1200 {
				t.Errorf("description is %d chars; want 80-1200 (OpenClaw cuts at 1200)", len(m.Description))
			}
			if !strings.Contains(strings.ToLower(m.Description+m.Title), "email") && !strings.Contains(strings.ToLower(m.Description), "mail") {
				t.Errorf("description should carry the word users say: email")
			}
			if m.Title == "" {
				t.Error("missing title")
			}
			if m.Annotations.Title != "" {
				t.Error("annotations.title repeats the title")
			}
			a := m.Annotations
			if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
				t.Fatal("all four annotations must be set explicitly")
			}
			if *a.ReadOnlyHint == tool.Writes {
				t.Errorf("readOnlyHint=%v but Writes=%v", *a.ReadOnlyHint, tool.Writes)
			}
			if !tool.Writes && *a.DestructiveHint {
				t.Error("a read-only tool cannot be destructive")
			}
			// mcp-go publishes an empty schema on a bad struct tag: demand properties.
			props, _ := inputSchema(m)["properties"].(map[string]any)
			if len(props) == 0 {
				t.Error("input schema has no properties")
			}
			for name, p := range props {
				prop, _ := p.(map[string]any)
				if d, _ := prop["description"].(string); d == "" {
					t.Errorf("parameter %s has no description", name)
				}
				if !snakeCase.MatchString(name) {
					t.Errorf("parameter %s is not snake_case", name)
				}
			}
			// Output schemas cost bytes in every turn and the TypeScript
			// SDK compiles each one: only listings, whose results clients
			// process as data, declare one.
			if (tool.Output != nil) != listingTools[tool.Name] {
				t.Errorf("output schema declared: %v; want one exactly for the listing tools %v", tool.Output != nil, listingTools)
			}
			if tool.Handle == nil {
				t.Error("no handler")
			}
		})
	}
}

// TestReadOnlyRegistersNoWriteTool: read-only mode is enforced at registration.
func TestReadOnlyRegistersNoWriteTool(t *testing.T) {
	for _, tool := range Available(Options{ReadOnly: true}) {
		if tool.Writes {
			t.Errorf("%s writes but is available in read-only mode", tool.Name)
		}
	}
	if len(Available(Options{ReadOnly: true})) == 0 {
		t.Fatal("read-only mode must still offer the read tools")
	}
}

// TestSchemaSnapshots compares every tool's published definition with the
// committed snapshot: descriptions and schemas are the model's API, so a
// change must show up in review. Regenerate with: go test ./tools -update
func TestSchemaSnapshots(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "schemas")
	want := map[string]bool{}
	for _, tool := range All() {
		b, err := json.MarshalIndent(tool.MCP(), "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		path := filepath.Join(dir, tool.Name+".json")
		want[tool.Name+".json"] = true
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (run go test ./tools -update and review it): %v", tool.Name, err)
			continue
		}
		if string(got) != string(b) {
			t.Errorf("%s: schema differs from %s; review and run go test ./tools -update", tool.Name, path)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !want[e.Name()] {
			t.Errorf("stale snapshot %s for a tool that no longer exists", e.Name())
		}
	}
}
