package tools

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mailmcp/mailmcp/parse"
)

type draftPage struct {
	Folder   string `json:"folder"`
	Messages []struct {
		ID      string   `json:"id"`
		Subject string   `json:"subject"`
		Flags   []string `json:"flags"`
	} `json:"messages"`
	Total      int    `json:"total_matches"`
	NextCursor string `json:"next_cursor"`
}

// rawOf reads a message the way a mail client would see it.
func rawOf(t *testing.T, h *harness, id string) (string, *parse.Message) {
	t.Helper()
	ref, err := imapconn.ParseID(id)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := h.Mail.Pool(ref.Account)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var raw []byte
	if err := p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
		raw, err = io.ReadAll(r)
		return err
	}); err != nil {
		t.Fatalf("fetch %s: %v", id, err)
	}
	m, err := parse.Parse(strings.NewReader(string(raw)), parse.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return string(raw), m
}

func TestDraftTools(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var before draftPage
	h.Decode("list_drafts", map[string]any{"limit": 100}, &before)
	if before.Folder != "Drafts" || len(before.Messages) == 0 {
		t.Fatalf("demo drafts: %+v", before)
	}

	var saved saveDraftOutput
	h.Decode("save_draft", map[string]any{
		"to": []any{"Ann Äpfel <ann@example.com>"}, "cc": []any{"carl@example.com"}, "bcc": []any{"hidden@example.com"},
		"subject": "Plan für Montag", "body": "# Agenda\n\n- one\n- two\n", "markdown": true,
	}, &saved)
	if saved.DraftID == "" || saved.Folder != "Drafts" || saved.MessageID == "" || saved.Replaced != "" {
		t.Fatalf("save: %+v", saved)
	}
	var after draftPage
	h.Decode("list_drafts", map[string]any{"limit": 100}, &after)
	if len(after.Messages) != len(before.Messages)+1 || after.Messages[0].ID != saved.DraftID || after.Messages[0].Subject != "Plan für Montag" {
		t.Fatalf("list after save: first %+v, %d drafts (was %d)", after.Messages[0], len(after.Messages), len(before.Messages))
	}
	if !strings.Contains(strings.Join(after.Messages[0].Flags, " "), "draft") {
		t.Errorf("draft flags = %v", after.Messages[0].Flags)
	}
	raw, m := rawOf(t, h, saved.DraftID)
	if len(m.Bcc) != 1 || m.Bcc[0].Email != "hidden@example.com" || m.MessageID != "<"+saved.MessageID+">" || !strings.Contains(raw, "multipart/alternative") {
		t.Errorf("stored draft: bcc %v id %q\n%s", m.Bcc, m.MessageID, raw)
	}

	// Update: a new version replaces the old one.
	var upd saveDraftOutput
	h.Decode("save_draft", map[string]any{"draft_id": saved.DraftID, "to": []any{"ann@example.com"}, "subject": "Plan für Dienstag", "body": "moved"}, &upd)
	if upd.DraftID == "" || upd.DraftID == saved.DraftID || upd.Replaced != saved.DraftID || upd.Warning != "" {
		t.Fatalf("update: %+v", upd)
	}
	h.Decode("list_drafts", map[string]any{"limit": 100}, &after)
	if len(after.Messages) != len(before.Messages)+1 || after.Messages[0].ID != upd.DraftID {
		t.Fatalf("after update: %d drafts, first %+v", len(after.Messages), after.Messages[0])
	}
	for _, d := range after.Messages {
		if d.ID == saved.DraftID {
			t.Error("the old version is still listed")
		}
	}

	// A threaded reply draft.
	inbox := folderIDs(h, "INBOX")
	_, orig := rawOf(t, h, inbox[0])
	var rd saveDraftOutput
	h.Decode("save_draft", map[string]any{"in_reply_to": inbox[0], "body": "Thanks!"}, &rd)
	_, r := rawOf(t, h, rd.DraftID)
	if r.InReplyTo != orig.MessageID || len(r.References) == 0 || r.References[len(r.References)-1] != orig.MessageID ||
		!strings.HasPrefix(r.Subject, "Re: ") || len(r.To) != 1 {
		t.Errorf("reply draft: irt %q refs %v subject %q to %v (original %q)", r.InReplyTo, r.References, r.Subject, r.To, orig.MessageID)
	}

	// Paging.
	var p1, p2 draftPage
	h.Decode("list_drafts", map[string]any{"limit": 2}, &p1)
	h.Decode("list_drafts", map[string]any{"limit": 2, "cursor": p1.NextCursor}, &p2)
	if len(p1.Messages) != 2 || p1.NextCursor == "" || len(p2.Messages) == 0 || p2.Messages[0].ID == p1.Messages[0].ID {
		t.Errorf("paging: %+v / %+v", p1, p2)
	}

	cases := []struct {
		name string
		args map[string]any
		want string
	}{
		{"not a draft", map[string]any{"draft_id": inbox[1], "subject": "x"}, "not in the Drafts folder"},
		{"already replaced", map[string]any{"draft_id": saved.DraftID, "subject": "x"}, "no longer exists"},
		{"header injection", map[string]any{"subject": "hi\r\nBcc: evil@example.org"}, "header_injection"},
		{"bad address", map[string]any{"to": []any{"not an address"}}, "invalid_address"},
		{"file without dir", map[string]any{"attachments": []any{"notes.txt"}}, "no attachment directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if msg := h.Fail("save_draft", c.args); !strings.Contains(msg, c.want) {
				t.Errorf("error %q does not mention %q", msg, c.want)
			}
		})
	}
	h.Decode("list_drafts", map[string]any{"limit": 100}, &after)
	if len(after.Messages) != len(before.Messages)+2 {
		t.Errorf("failed calls changed the drafts: %d, want %d", len(after.Messages), len(before.Messages)+2)
	}
	if got := folderIDs(h, "INBOX"); len(got) != len(inbox) {
		t.Errorf("INBOX changed: %d, was %d", len(got), len(inbox))
	}
}

func TestDraftToolsReadOnly(t *testing.T) {
	h := newHarness(t, harnessOptions{ReadOnly: true})
	h.OK("list_drafts", map[string]any{})
	res, err := h.Client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tl := range res.Tools {
		if tl.Name == "save_draft" {
			t.Error("save_draft is registered in read-only mode")
		}
	}
}

// TestDescribeDraftWithoutID: a save without a draft id (no UIDPLUS) never
// tells the agent to use "this draft_id" (issue 16).
func TestDescribeDraftWithoutID(t *testing.T) {
	text := describeDraft(saveDraftOutput{Folder: "Drafts", MessageID: "x@y", Warning: "no id"})
	if strings.Contains(text, "this draft_id") || !strings.Contains(text, "list_drafts") {
		t.Errorf("describeDraft without id: %q", text)
	}
	if text := describeDraft(saveDraftOutput{DraftID: "d1", Folder: "Drafts", MessageID: "x@y"}); !strings.Contains(text, "this draft_id") {
		t.Errorf("describeDraft with id: %q", text)
	}
}
