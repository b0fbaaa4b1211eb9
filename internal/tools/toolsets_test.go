package tools

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEveryToolIsInTheRegistry: tools are registered explicitly in the
// toolset table, so a tool file whose constructor is missing from it would
// silently publish nothing. Every func xxxTool() *Tool in the package must
// appear there exactly once.
func TestEveryToolIsInTheRegistry(t *testing.T) {
	fset := token.NewFileSet()
	paths, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var constructors int
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		{
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Recv != nil || !strings.HasSuffix(fn.Name.Name, "Tool") || fn.Type.Results == nil || len(fn.Type.Params.List) != 0 {
					continue
				}
				if star, ok := fn.Type.Results.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok && id.Name == "Tool" {
						constructors++
					}
				}
			}
		}
	}
	seen := map[string]Toolset{}
	for _, set := range toolsetDefs() {
		for _, f := range set.tools {
			name := f().Name
			if prev, dup := seen[name]; dup {
				t.Errorf("%s is in toolsets %s and %s", name, prev, set.name)
			}
			seen[name] = set.name
		}
	}
	if constructors != len(seen) || len(All()) != constructors {
		t.Errorf("%d tool constructors in the package, %d in the toolset table, All gives %d", constructors, len(seen), len(All()))
	}
}

func TestAvailableByToolset(t *testing.T) {
	names := func(opt Options) []string {
		var out []string
		for _, tool := range Available(opt) {
			out = append(out, tool.Name)
		}
		return out
	}
	all := names(Options{})
	if len(all) != len(All()) {
		t.Fatalf("no toolsets chosen gives %d tools, want all %d", len(all), len(All()))
	}
	var sum int
	for _, set := range Toolsets() {
		got := names(Options{Toolsets: []Toolset{set}})
		if !slices.Contains(got, "list_accounts") {
			t.Errorf("toolset %s lacks the core tool list_accounts: %v", set, got)
		}
		for _, tool := range Available(Options{Toolsets: []Toolset{set}}) {
			if tool.Toolset != set && tool.Toolset != ToolsetCore {
				t.Errorf("toolset %s offers %s of toolset %s", set, tool.Name, tool.Toolset)
			}
		}
		sum += len(got) - 1
	}
	if sum+1 != len(all) {
		t.Errorf("the toolsets cover %d tools, want %d", sum+1, len(all))
	}
	read := names(Options{Toolsets: []Toolset{ToolsetRead}})
	for _, want := range []string{"search", "fetch_message", "list_folders"} {
		if !slices.Contains(read, want) {
			t.Errorf("read lacks %s: %v", want, read)
		}
	}
	// Read-only mode wins over any toolset choice.
	for _, tool := range Available(Options{ReadOnly: true, Toolsets: []Toolset{ToolsetSend, ToolsetOrganise}}) {
		if tool.Writes {
			t.Errorf("%s writes but is offered in read-only mode", tool.Name)
		}
	}
}

func TestParseToolsets(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []Toolset
		wantErr bool
	}{
		{"", nil, false},
		{"all", nil, false},
		{"read", []Toolset{ToolsetRead}, false},
		{" Read , send,read ", []Toolset{ToolsetRead, ToolsetSend}, false},
		{"organize,watch", []Toolset{ToolsetOrganise, ToolsetWatch}, false},
		{"read,all", nil, false},
		{"core", nil, true},
		{"reed", nil, true},
		{",", nil, true},
	} {
		got, err := ParseToolsets(c.in)
		if (err != nil) != c.wantErr || !slices.Equal(got, c.want) {
			t.Errorf("ParseToolsets(%q) = %v, %v; want %v, err %v", c.in, got, err, c.want, c.wantErr)
		}
	}
}
