package tools

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// folderIDs pages through search and returns every id in folder, newest
// first.
func folderIDs(h *harness, folder string) []string {
	h.t.Helper()
	var ids []string
	cursor := ""
	for {
		var page struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
			NextCursor string `json:"next_cursor"`
		}
		args := map[string]any{"folder": folder, "limit": 100}
		if cursor != "" {
			args["cursor"] = cursor
		}
		h.Decode("search", args, &page)
		for _, m := range page.Messages {
			ids = append(ids, m.ID)
		}
		if page.NextCursor == "" {
			return ids
		}
		cursor = page.NextCursor
	}
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func TestMoveCopyFlagDeleteTools(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	inbox := folderIDs(h, "INBOX")
	archived := len(folderIDs(h, "Archive"))

	var out bulkOut
	h.Decode("move", map[string]any{"ids": anys(inbox[:2]), "to": "archive"}, &out)
	if out.Succeeded != 2 || out.Destination != "archive" || len(out.Results) != 2 || out.Results[0].ID != inbox[0] || out.Results[0].NewID == "" {
		t.Fatalf("move: %+v", out)
	}
	if n := len(folderIDs(h, "Archive")); n != archived+2 {
		t.Errorf("Archive holds %d, want %d", n, archived+2)
	}
	// The new id works with the other tools.
	got := h.OK("fetch_message", map[string]any{"id": out.Results[0].NewID})
	if got["folder"] != "Archive" {
		t.Errorf("fetched moved message from %v", got["folder"])
	}

	// A bad id among good ones fails alone; a moved id fails alone.
	res := h.Call("copy", map[string]any{"ids": []any{"m1.bogus", inbox[0], inbox[2]}, "to": "Archive"})
	if res.IsError {
		t.Fatalf("copy: %s", resultText(res))
	}
	text := resultText(res)
	if !strings.Contains(text, "1 of 3 succeeded") || !strings.Contains(text, "m1.bogus") || !strings.Contains(text, "no longer exists") {
		t.Errorf("copy text:\n%s", text)
	}

	h.Decode("flag", map[string]any{"ids": anys(inbox[2:4]), "add": []any{"flagged", "$Later"}, "remove": []any{"seen"}}, &out)
	if out.Succeeded != 2 {
		t.Fatalf("flag: %+v", out)
	}
	var flagged struct {
		Messages []struct {
			ID    string   `json:"id"`
			Flags []string `json:"flags"`
		} `json:"messages"`
	}
	h.Decode("search", map[string]any{"flagged": true, "unseen": true, "limit": 100}, &flagged)
	found := 0
	for _, m := range flagged.Messages {
		if m.ID == inbox[2] || m.ID == inbox[3] {
			found++
		}
	}
	if found != 2 {
		t.Errorf("flag add/remove not visible to search: %+v", flagged.Messages)
	}

	h.Decode("delete", map[string]any{"ids": anys(inbox[4:5])}, &out)
	if out.Succeeded != 1 || !strings.Contains(out.Results[0].NewID, "m1.") {
		t.Fatalf("delete: %+v", out)
	}
	inTrash := out.Results[0].NewID
	h.Decode("delete", map[string]any{"ids": []any{inTrash, inbox[5]}, "permanent": true}, &out)
	if out.Succeeded != 1 || out.Failed != 1 || !strings.Contains(out.Results[1].Error, "already in Trash") {
		t.Fatalf("permanent delete: %+v", out)
	}
	if msg := h.Fail("fetch_message", map[string]any{"id": inTrash}); !strings.Contains(msg, "not_found") {
		t.Errorf("permanently deleted message: %s", msg)
	}
}

func TestBulkToolArgumentErrors(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	inbox := folderIDs(h, "INBOX")
	many := make([]any, imapconn.MaxBulk+1)
	for i := range many {
		many[i] = inbox[0]
	}
	cases := []struct {
		name string
		tool string
		args map[string]any
		want string
	}{
		{"no ids", "move", map[string]any{"ids": []any{}, "to": "Archive"}, "ids"},
		{"501 ids", "move", map[string]any{"ids": many, "to": "Archive"}, "500"},
		{"empty destination", "move", map[string]any{"ids": anys(inbox[:1]), "to": ""}, "to must name a folder"},
		{"missing folder", "move", map[string]any{"ids": anys(inbox[:1]), "to": "Arhcive"}, `"Archive"`},
		{"only bad ids", "copy", map[string]any{"ids": []any{"nope"}, "to": "Archive"}, "none of the ids"},
		{"deleted is no flag", "flag", map[string]any{"ids": anys(inbox[:1]), "add": []any{"deleted"}}, "delete tool"},
		{"bad keyword", "flag", map[string]any{"ids": anys(inbox[:1]), "add": []any{"two words"}}, "keyword"},
		{"nothing to flag", "flag", map[string]any{"ids": anys(inbox[:1])}, "add and/or remove"},
		{"control chars", "move", map[string]any{"ids": anys(inbox[:1]), "to": "A\r\nB"}, "control"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := h.Fail(c.tool, c.args); !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not mention %q", msg, c.want)
			}
		})
	}
	if n := len(folderIDs(h, "INBOX")); n != len(inbox) {
		t.Errorf("a refused call changed INBOX: %d → %d", len(inbox), n)
	}
}

func TestBulkToolSendsProgress(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	if err := h.Demo.CreateFolder("Newsletters"); err != nil {
		t.Fatal(err)
	}
	const n = 250
	for i := 1; i <= n; i++ {
		raw := fmt.Sprintf("From: news@example.org\r\nSubject: Issue %d\r\nDate: %s\r\n\r\nissue %d\r\n", i, time.Now().Format(time.RFC1123Z), i)
		if err := h.Demo.Deliver("Newsletters", []byte(raw), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	ids := folderIDs(h, "Newsletters")
	if len(ids) != n {
		t.Fatalf("%d ids", len(ids))
	}
	res := h.CallCtx(t.Context(), "move", map[string]any{"ids": anys(ids), "to": "Archive"}, "bulk-1")
	if res.IsError {
		t.Fatal(resultText(res))
	}
	var got []map[string]any
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		got = h.Progress()
	}
	if len(got) != 3 {
		t.Fatalf("want 3 progress notifications (one per batch of 100), got %v", got)
	}
	for i, want := range []float64{100, 200, 250} {
		if got[i]["progress"] != want || got[i]["total"] != float64(n) || got[i]["progressToken"] != "bulk-1" {
			t.Errorf("notification %d: %v", i, got[i])
		}
	}
	// Without a token, no notifications.
	before := len(h.Progress())
	h.OK("flag", map[string]any{"ids": anys(ids[:1]), "add": []any{"seen"}})
	time.Sleep(50 * time.Millisecond)
	if len(h.Progress()) != before {
		t.Error("progress sent without a progress token")
	}
}

func TestWriteToolsRefuseReadOnlyAccount(t *testing.T) {
	h := newHarness(t, harnessOptions{Info: func(i *AccountInfo) { i.ReadOnly = true }})
	inbox := folderIDs(h, "INBOX")
	for tool, args := range map[string]map[string]any{
		"move":          {"ids": anys(inbox[:1]), "to": "Archive"},
		"copy":          {"ids": anys(inbox[:1]), "to": "Archive"},
		"flag":          {"ids": anys(inbox[:1]), "add": []any{"seen"}},
		"delete":        {"ids": anys(inbox[:1])},
		"create_folder": {"name": "New"},
		"rename_folder": {"from": "Archive", "to": "Old"},
		"delete_folder": {"name": "Junk"},
	} {
		if msg := h.Fail(tool, args); !strings.Contains(msg, "read_only") || !strings.Contains(msg, "read-only") {
			t.Errorf("%s on a read-only account: %s", tool, msg)
		}
	}
	if n := len(folderIDs(h, "INBOX")); n != len(inbox) {
		t.Errorf("INBOX changed on a read-only account")
	}
}
