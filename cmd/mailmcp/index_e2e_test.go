package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

type searchPage struct {
	Source   string `json:"source"`
	AsOf     string `json:"as_of"`
	Total    int    `json:"total_matches"`
	Messages []struct {
		ID, Subject, Snippet string
	} `json:"messages"`
}

// TestIndexServesWhileDovecotIsDown: an account with index = true is
// indexed in the background; with Dovecot stopped, search and fetch_message
// answer from the index through a real MCP client, and a write fails
// saying the server is unreachable; after Dovecot restarts, mail delivered
// then becomes searchable.
func TestIndexServesWhileDovecotIsDown(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.PopulateFunc(t, u, "INBOX", 60, func(i int) []byte {
		return []byte(fmt.Sprintf("From: Pat <pat@example.org>\r\nTo: %s\r\nSubject: Quarterly report %d\r\nMessage-ID: <q%d@example.org>\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nThe figures for region %d are attached below.\r\n", u.Email, i, i, i))
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte(u.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf(`state_dir = %q

[[accounts]]
id = "work"
email = %q
provider = "generic"
password_file = %q
ca_file = %q
watch = true
index = true
imap = { host = %q, port = %d, tls = "implicit" }
smtp = { host = %q, port = %d, tls = "implicit" }
`, filepath.Join(dir, "state"), u.Email, filepath.Join(dir, "password"), s.CAFile, s.Host, s.IMAPSPort, s.Host, s.SubmissionsPort)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := client.NewStdioMCPClient(os.Args[0], childEnv(t), "serve", "--config", cfgPath, "--watch")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	call := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return res
	}
	search := func(args map[string]any) searchPage {
		t.Helper()
		res := call("search", args)
		if res.IsError {
			t.Fatalf("search %v: %v", args, res.Content)
		}
		var p searchPage
		b, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	waitIndexed := func(args map[string]any, want int) searchPage {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			p := search(args)
			if p.Source == "index" && p.Total == want {
				return p
			}
			if time.Now().After(deadline) {
				t.Fatalf("search %v: never answered by the index with %d matches (last: source %q, %d)", args, want, p.Source, p.Total)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	p := waitIndexed(map[string]any{"subject": "report 4"}, 11) // 4, 40-49
	if p.AsOf == "" {
		t.Errorf("an index answer must say how fresh it is: %+v", p)
	}
	rel := search(map[string]any{"body": "region 42", "sort": "relevance"})
	if len(rel.Messages) != 1 || !strings.Contains(rel.Messages[0].Snippet, "region 42") {
		t.Errorf("relevance search: %+v", rel)
	}

	// Changes made through mailmcp reach the index at once.
	moved := search(map[string]any{"subject": "report 23"})
	if moved.Source != "index" || len(moved.Messages) != 1 {
		t.Fatalf("search before the changes: %+v", moved)
	}
	if res := call("flag", map[string]any{"ids": []string{moved.Messages[0].ID}, "add": []string{"flagged"}}); res.IsError {
		t.Fatalf("flag: %v", res.Content)
	}
	if f := search(map[string]any{"flagged": true}); f.Source != "index" || f.Total != 1 || f.Messages[0].ID != moved.Messages[0].ID {
		t.Fatalf("flagged right after flag: %+v", f)
	}
	if res := call("move", map[string]any{"ids": []string{moved.Messages[0].ID}, "to": "Archive"}); res.IsError {
		t.Fatalf("move: %v", res.Content)
	}
	if g := search(map[string]any{"subject": "report 23"}); g.Source != "index" || g.Total != 0 {
		t.Fatalf("INBOX right after the move: %+v", g)
	}

	if err := s.StopDovecot(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			s.StartDovecot()
		}
	}()
	off := search(map[string]any{"subject": "report 17"})
	if off.Source != "index" || len(off.Messages) != 1 {
		t.Fatalf("offline search: %+v", off)
	}
	// A listing without criteria is answered by the index too.
	if all := search(map[string]any{"limit": 5}); all.Source != "index" || all.Total != 59 {
		t.Fatalf("offline listing: %+v", all)
	}
	msg := call("fetch_message", map[string]any{"id": off.Messages[0].ID})
	if msg.IsError {
		t.Fatalf("offline fetch_message: %v", msg.Content)
	}
	var out struct {
		Source  string `json:"source"`
		Cached  string `json:"cached_at"`
		Subject string `json:"subject"`
		Content struct {
			Text string `json:"text"`
		} `json:"content"`
	}
	b, _ := json.Marshal(msg.StructuredContent)
	json.Unmarshal(b, &out)
	if out.Source != "cache" || out.Cached == "" || out.Subject != "Quarterly report 17" || !strings.Contains(out.Content.Text, "region 17") {
		t.Fatalf("offline fetch_message: %s", b)
	}
	w := call("flag", map[string]any{"ids": []string{off.Messages[0].ID}, "add": []string{"flagged"}})
	if !w.IsError || !strings.Contains(fmt.Sprint(w.Content), "server unreachable") {
		t.Fatalf("a write with the server down must fail as unavailable: %v", w.Content)
	}

	if err := s.StartDovecot(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mail := "From: Pat <pat@example.org>\r\nTo: " + u.Email + "\r\nSubject: Back online\r\nMessage-ID: <back@example.org>\r\n\r\nDelivered after the restart.\r\n"
	if err := s.DeliverLMTP(ctx, "pat@example.org", []string{u.Email}, []byte(mail)); err != nil {
		t.Fatal(err)
	}
	waitIndexed(map[string]any{"subject": "back online"}, 1)
}

// TestIndexCommands: index rebuild builds the index in the foreground,
// status reports it, drop removes it and touches nothing else.
func TestIndexCommands(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	s.Populate(t, u, "INBOX", 40)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte(u.Password), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.toml")
	cfg := fmt.Sprintf("state_dir = %q\n\n[[accounts]]\nid = \"work\"\nemail = %q\nprovider = \"generic\"\npassword_file = %q\nca_file = %q\nindex = true\n"+
		"imap = { host = %q, port = %d, tls = \"implicit\" }\nsmtp = { host = %q, port = %d, tls = \"implicit\" }\n",
		filepath.Join(dir, "state"), u.Email, filepath.Join(dir, "password"), s.CAFile, s.Host, s.IMAPSPort, s.Host, s.SubmissionsPort)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var out, errb strings.Builder
		if err := execute(context.Background(), append(args, "--config", cfgPath), strings.NewReader(""), &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	if out := run("index", "status", "work"); !strings.Contains(out, "no index") {
		t.Fatalf("status before: %s", out)
	}
	if out := run("index", "rebuild", "work"); !strings.Contains(out, "rebuilt") {
		t.Fatalf("rebuild: %s", out)
	}
	if out := run("index", "status", "work"); !strings.Contains(out, "INBOX") || !strings.Contains(out, "40 of 40 messages, complete") {
		t.Fatalf("status after rebuild: %s", out)
	}
	if out := run("index", "drop", "work"); !strings.Contains(out, "dropped") {
		t.Fatalf("drop: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "index", "work.db")); !os.IsNotExist(err) {
		t.Fatalf("index file after drop: %v", err)
	}
}
