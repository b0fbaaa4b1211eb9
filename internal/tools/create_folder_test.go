package tools

import (
	"strings"
	"testing"
)

func TestFolderTools(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var f folderOut
	h.Decode("create_folder", map[string]any{"name": "Receipts"}, &f)
	if f.Folder.Name != "Receipts" || f.Account != "demo" {
		t.Fatalf("create: %+v", f)
	}
	h.Decode("create_folder", map[string]any{"name": "2026", "parent": "Receipts"}, &f)
	if f.Folder.Name != "Receipts/2026" {
		t.Fatalf("create child: %+v", f)
	}
	h.Decode("rename_folder", map[string]any{"from": "Receipts/2026", "to": "Receipts/Done"}, &f)
	if f.Folder.Name != "Receipts/Done" || f.From != "Receipts/2026" {
		t.Fatalf("rename: %+v", f)
	}
	inbox := folderIDs(h, "INBOX")
	h.OK("copy", map[string]any{"ids": anys(inbox[:2]), "to": "Receipts/Done"})

	cases := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"exists", "create_folder", map[string]any{"name": "Receipts"}, "already exists"},
		{"missing parent", "create_folder", map[string]any{"name": "x", "parent": "Reciepts"}, `"Receipts"`},
		{"empty name", "create_folder", map[string]any{"name": ""}, "empty"},
		{"wildcard", "create_folder", map[string]any{"name": "a*"}, "wildcard"},
		{"rename INBOX", "rename_folder", map[string]any{"from": "INBOX", "to": "Old"}, "INBOX"},
		{"rename special", "rename_folder", map[string]any{"from": "Sent", "to": "Old"}, "sent folder"},
		{"delete non-empty", "delete_folder", map[string]any{"name": "Receipts/Done"}, "force"},
		{"delete parent", "delete_folder", map[string]any{"name": "Receipts", "force": true}, "subfolder"},
		{"delete trash", "delete_folder", map[string]any{"name": "Trash", "force": true}, "trash folder"},
		{"delete missing", "delete_folder", map[string]any{"name": "Reciepts"}, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := h.Fail(c.tool, c.args); !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not mention %q", msg, c.want)
			}
		})
	}
	var del deleteFolderOut
	h.Decode("delete_folder", map[string]any{"name": "Receipts/Done", "force": true}, &del)
	if del.Deleted.Messages != 2 {
		t.Errorf("force delete: %+v", del)
	}
	h.Decode("delete_folder", map[string]any{"name": "Receipts"}, &del)
	if n := len(folderIDs(h, "INBOX")); n != len(inbox) {
		t.Errorf("deleting a folder of copies changed INBOX")
	}
}
