package tools

import (
	"slices"
	"strings"

	"github.com/mailmcp/mailmcp/internal/imapconn"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
)

type searchOut struct {
	Folder   string `json:"folder"`
	Total    int    `json:"total_matches"`
	Next     string `json:"next_cursor"`
	Messages []struct {
		ID             string   `json:"id"`
		Folder         string   `json:"folder"`
		Subject        string   `json:"subject"`
		Flags          []string `json:"flags"`
		HasAttachments bool     `json:"has_attachments"`
	} `json:"messages"`
}

func (o searchOut) subjects() []string {
	var s []string
	for _, m := range o.Messages {
		s = append(s, m.Subject)
	}
	return s
}

// searchFixture fills folder "T" of the demo mailbox.
func searchFixture(t *testing.T, h *harness) {
	t.Helper()
	if err := h.Demo.CreateFolder("T"); err != nil {
		t.Fatal(err)
	}
	msgs := []struct {
		raw   string
		flags []imap.Flag
	}{
		{"From: Ann <ann@example.org>\r\nTo: me@example.test\r\nCc: cat@example.test\r\nSubject: t-report\r\nMessage-ID: <t1@example.org>\r\nList-Id: <team.example.org>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nsee file\r\n--x\r\n" +
			"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=r.pdf\r\n\r\nJVBER\r\n--x--\r\n", []imap.Flag{imap.FlagAnswered}},
		{"From: Bo <bo@example.org>\r\nTo: me@example.test\r\nSubject: t-lunch\r\nMessage-ID: <t2@example.org>\r\n\r\n" + strings.Repeat("long ", 1000) + "\r\n", []imap.Flag{imap.FlagSeen, imap.FlagFlagged}},
		{"From: me@example.test\r\nTo: ann@example.org\r\nSubject: Re: t-report\r\nMessage-ID: <t3@example.org>\r\nIn-Reply-To: <t1@example.org>\r\nReferences: <t1@example.org>\r\n\r\nthanks\r\n", nil},
	}
	for i, m := range msgs {
		if err := h.Demo.Deliver("T", []byte(m.raw), m.flags, time.Date(2026, 3, 1+i, 10, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSearchToolCriteria(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	searchFixture(t, h)
	search := func(args map[string]any) searchOut {
		t.Helper()
		var out searchOut
		args["folder"] = "T"
		h.Decode("search", args, &out)
		return out
	}
	report := search(map[string]any{"subject": "t-report", "answered": true}).Messages
	if len(report) != 1 || !report[0].HasAttachments {
		t.Fatalf("answered report: %+v", report)
	}
	for _, tc := range []struct {
		args map[string]any
		want []string
	}{
		{map[string]any{"cc": "cat@"}, []string{"t-report"}},
		{map[string]any{"answered": false}, []string{"Re: t-report", "t-lunch"}},
		{map[string]any{"flagged": true, "unseen": false}, []string{"t-lunch"}},
		{map[string]any{"has_attachment": true}, []string{"t-report"}},
		{map[string]any{"larger": 3000}, []string{"t-lunch"}},
		{map[string]any{"smaller": 3000}, []string{"Re: t-report", "t-report"}},
		{map[string]any{"header_name": "List-Id", "header_value": "team.example"}, []string{"t-report"}},
		{map[string]any{"header_name": "In-Reply-To"}, []string{"Re: t-report"}},
		{map[string]any{"thread": report[0].ID}, []string{"Re: t-report", "t-report"}},
		{map[string]any{"since": "2026-03-02", "before": "2026-03-03"}, []string{"t-lunch"}},
	} {
		if got := search(tc.args).subjects(); !slices.Equal(got, tc.want) {
			t.Errorf("%v: %q, want %q", tc.args, got, tc.want)
		}
	}
	// Every folder at once: the demo mailbox plus T, newest first, with the folder shown.
	var all searchOut
	res := h.Decode("search", map[string]any{"folder": "all", "subject": "t-", "limit": 2}, &all)
	if all.Folder != "all" || len(all.Messages) != 2 || all.Messages[0].Folder != "T" || all.Next == "" || all.Total != 3 {
		t.Fatalf("all folders: %+v", all)
	}
	if txt := resultText(res); !strings.Contains(txt, "all folders") || !strings.Contains(txt, `folder="T"`) {
		t.Errorf("all-folder text: %s", txt)
	}
	next := all.Next
	all = searchOut{}
	h.Decode("search", map[string]any{"folder": "all", "subject": "t-", "limit": 2, "cursor": next}, &all)
	if got := all.subjects(); !slices.Equal(got, []string{"t-report"}) || all.Next != "" {
		t.Errorf("all folders page 2: %q next=%q", got, all.Next)
	}
}

func TestSearchToolRefusesBadArguments(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, tc := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"gmail_query": "has:attachment"}, "gmail_query works only on Gmail"},
		{map[string]any{"since": "last week"}, "since must be a date"},
		{map[string]any{"since": "2026-03-05", "before": "2026-03-01"}, "before (2026-03-01) must be after since"},
		{map[string]any{"larger": 5000, "smaller": 100}, "no message is larger than 5000 and smaller than 100"},
		{map[string]any{"header_value": "x"}, "header_value needs header_name"},
		{map[string]any{"header_name": "Bad Name", "header_value": "x"}, "header name"},
		{map[string]any{"subject": "a\nb"}, "subject must not contain line breaks"},
		{map[string]any{"thread": "m1.nope"}, "is not a message id"},
		{map[string]any{"cursor": "garbage"}, "cursor"},
		{map[string]any{"folder": "No Such Folder"}, "list_folders"},
		{map[string]any{"account": "nobody"}, "nobody"},
	} {
		if msg := h.Fail("search", tc.args); !strings.Contains(msg, tc.want) {
			t.Errorf("%v: error %q does not mention %q", tc.args, msg, tc.want)
		}
	}
	// A cursor only continues its own search.
	var out searchOut
	h.Decode("search", map[string]any{"limit": 2}, &out)
	if msg := h.Fail("search", map[string]any{"limit": 2, "subject": "x", "cursor": out.Next}); !strings.Contains(msg, "different search") {
		t.Errorf("foreign cursor: %s", msg)
	}
}

func TestListAccountsFeaturesWithoutLogin(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	type accounts struct {
		Accounts []struct {
			Connection   string   `json:"connection"`
			Features     []string `json:"features"`
			Capabilities []string `json:"capabilities"`
		} `json:"accounts"`
	}
	var out accounts
	h.Decode("list_accounts", map[string]any{}, &out)
	if a := out.Accounts[0]; a.Connection != "not_connected" || a.Features != nil {
		t.Fatalf("before any call: %+v (listing must not log in)", a)
	}
	if st := h.Mail.IDs(); len(st) != 1 {
		t.Fatal(st)
	}
	p, _ := h.Mail.Pool("demo")
	if p.Stats().Dials != 0 {
		t.Fatal("list_accounts logged in without check")
	}
	h.OK("search", map[string]any{"limit": 1})
	h.Decode("list_accounts", map[string]any{}, &out)
	if a := out.Accounts[0]; a.Connection != "ok" || !slices.Contains(a.Features, "move") || !slices.Contains(a.Features, "utf8") || slices.Contains(a.Features, "gmail") {
		t.Errorf("after a search: %+v", a)
	}
	h.Decode("list_accounts", map[string]any{"check": true}, &out)
	if a := out.Accounts[0]; !slices.Contains(a.Capabilities, "MOVE") {
		t.Errorf("check: %+v", a)
	}
}

func TestListFoldersToolCountsAndNoQuota(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	var out struct {
		Folders []struct {
			Name   string `json:"name"`
			Role   string `json:"role"`
			Total  *int   `json:"total"`
			Unseen *int   `json:"unseen"`
		} `json:"folders"`
		Quota []any `json:"quota"`
	}
	res := h.Decode("list_folders", map[string]any{}, &out)
	if len(out.Folders) == 0 || out.Folders[0].Name != "INBOX" || out.Folders[0].Total == nil || out.Folders[0].Unseen == nil {
		t.Fatalf("folders: %+v", out.Folders)
	}
	if out.Quota != nil || strings.Contains(resultText(res), "Storage:") {
		t.Errorf("the demo server has no QUOTA, yet: %v", out.Quota)
	}
}

// TestSearchFolderRole: search takes a role for its folder, as move and
// copy do (issue 16: folder "sent" was "not found" although the account
// has a Sent folder); the page names the real folder.
func TestSearchFolderRole(t *testing.T) {
	h := newHarness(t, harnessOptions{})
	for _, role := range []string{"sent", "drafts", "trash"} {
		var page imapconn.Page
		h.Decode("search", map[string]any{"folder": role}, &page)
		if !strings.EqualFold(page.Folder, role) || page.Folder == role {
			t.Errorf("search folder %q: page folder %q, want the server's name of the %s folder", role, page.Folder, role)
		}
	}
	if msg := h.Fail("search", map[string]any{"folder": "no-such-folder"}); !strings.Contains(msg, "not found") {
		t.Errorf("unknown folder: %s", msg)
	}
}
