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

	"github.com/mailmcp/mailmcp/internal/pop3"
	"github.com/mailmcp/mailmcp/internal/testrig"
)

// TestPOP3Account: a protocol = "pop3" account on Dovecot's POP3 through
// a real MCP client: its mail is one folder, INBOX; search and
// fetch_message read the downloaded copy; mail delivered while watching
// is reported; moving and creating folders are refused with the reason;
// nothing is deleted from the server.
func TestPOP3Account(t *testing.T) {
	s := testrig.Require(t)
	u := s.NewUser(t)
	for i := range 3 {
		msg := fmt.Sprintf("From: Pat <pat@example.org>\r\nTo: %s\r\nSubject: Pop report %d\r\nMessage-ID: <pop-e2e-%d@example.org>\r\n\r\nQuarterly numbers, part %d.\r\n", u.Email, i, i, i)
		if err := s.DeliverLMTP(context.Background(), "pat@example.org", []string{u.Email}, []byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	withAtt := "From: Pat <pat@example.org>\r\nTo: " + u.Email + "\r\nSubject: Pop attachment\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the notes.\r\n" +
		"--b\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\nPOP3 attachment body\r\n--b--\r\n"
	if err := s.DeliverLMTP(context.Background(), "pat@example.org", []string{u.Email}, []byte(withAtt)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pw := filepath.Join(dir, "password")
	os.WriteFile(pw, []byte(u.Password), 0o600)
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`state_dir = %q

[[accounts]]
id = "pop"
email = %q
username = %q
provider = "generic"
protocol = "pop3"
password_file = %q
ca_file = %q
poll_interval = "5s"
send_policy = "autonomous"
download_dir = %q
pop3 = { host = %q, port = %d, tls = "implicit" }
smtp = { host = %q, port = %d, tls = "implicit" }
`, filepath.Join(dir, "state"), u.Email, u.Username, pw, s.CAFile, filepath.Join(dir, "downloads"), s.Host, s.POP3SPort, s.Host, s.SubmissionsPort)), 0o600)
	// doctor knows POP3 and names the mechanism it logged in with.
	out, err := binary(t, "doctor", "--config", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "pop3 login: ") || !strings.Contains(string(out), "logged in with SCRAM-SHA-256") {
		t.Fatalf("doctor: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	cmd := binary(t, "serve", "--config", cfg, "--http", addr)
	logs := &syncBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	waitHealthy(t, "http://"+addr, logs)
	c, err := client.NewStreamableHttpClient("http://" + addr + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	initialize(t, c)
	call := func(name string, args map[string]any) (*mcp.CallToolResult, string) {
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(res.StructuredContent)
		return res, string(b)
	}

	res, folders := call("list_folders", map[string]any{})
	if res.IsError || !strings.Contains(folders, `"INBOX"`) || strings.Contains(folders, "Sent") {
		t.Fatalf("list_folders: %s", folders)
	}
	// The first sync runs at start; wait for the three messages.
	var found string
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, found = call("search", map[string]any{"text": "Quarterly"})
		if !res.IsError && strings.Count(found, "Pop report") == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("search: %s\n%s", found, tail(logs.String(), 2000))
		}
		time.Sleep(300 * time.Millisecond)
	}
	var sr struct {
		Messages []struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		} `json:"messages"`
	}
	json.Unmarshal([]byte(found), &sr)
	if len(sr.Messages) != 3 {
		t.Fatalf("search result: %s", found)
	}
	res, body := call("fetch_message", map[string]any{"id": sr.Messages[0].ID})
	if res.IsError || !strings.Contains(body, "Quarterly numbers") {
		t.Fatalf("fetch_message: %s", body)
	}
	// get_attachment reads the part from the local copy.
	res, att := call("search", map[string]any{"subject": "Pop attachment"})
	var ar struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	json.Unmarshal([]byte(att), &ar)
	if res.IsError || len(ar.Messages) != 1 {
		t.Fatalf("search for the attachment: %s", att)
	}
	res, part := call("get_attachment", map[string]any{"id": ar.Messages[0].ID, "part": "2"})
	if res.IsError || !strings.Contains(part+fmt.Sprint(res.Content), "POP3 attachment body") {
		t.Fatalf("get_attachment: %s %v", part, res.Content)
	}
	res, saved := call("save_attachment", map[string]any{"id": ar.Messages[0].ID, "part": "2"})
	if got, _ := os.ReadFile(filepath.Join(dir, "downloads", "notes.txt")); res.IsError || !strings.Contains(string(got), "POP3 attachment body") {
		t.Fatalf("save_attachment: %s; file %q", saved, got)
	}
	// Sending goes through the account's SMTP; the copy arrives back in
	// the POP3 mailbox, and no Sent copy is attempted.
	res, sent := call("send_email", map[string]any{"to": []string{u.Email}, "subject": "Sent over SMTP", "body": "From a POP3 account."})
	if res.IsError || !strings.Contains(sent, `"sent"`) {
		t.Fatalf("send_email: %s", sent)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		if _, back := call("search", map[string]any{"subject": "Sent over SMTP"}); strings.Contains(back, "Sent over SMTP") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message sent to self never came back through POP3")
		}
	}
	res, moved := call("move", map[string]any{"ids": []string{sr.Messages[0].ID}, "to": "Archive"})
	if !res.IsError {
		t.Fatalf("move on a POP3 account succeeded: %s", moved)
	}
	res, created := call("create_folder", map[string]any{"name": "Projects"})
	if !res.IsError || !strings.Contains(created, "POP3") {
		t.Fatalf("create_folder: %s", created)
	}
	// New mail arrives while watching.
	done := make(chan string, 1)
	go func() {
		_, w := call("watch_inbox", map[string]any{"timeout_seconds": 30})
		done <- w
	}()
	time.Sleep(time.Second)
	if err := s.DeliverLMTP(context.Background(), "pat@example.org", []string{u.Email},
		[]byte("From: Pat <pat@example.org>\r\nTo: "+u.Email+"\r\nSubject: Pop arrival\r\n\r\nNew.\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-done:
		if !strings.Contains(w, "Pop arrival") {
			t.Fatalf("watch_inbox: %s", w)
		}
	case <-time.After(40 * time.Second):
		t.Fatal("watch_inbox never reported the new POP3 mail")
	}
	// Left on the server (pop3_delete_after_days is off).
	pc, err := pop3.Dial(context.Background(), s.POP3SAddr(), pop3.Options{TLS: pop3.TLSImplicit, TLSConfig: s.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if err := pc.Login(context.Background(), u.Username, u.Password); err != nil {
		t.Fatal(err)
	}
	if n, _, err := pc.Stat(context.Background()); err != nil || n != 6 {
		t.Errorf("%d messages on the server (%v), want 6 (5 delivered, 1 sent to self)", n, err)
	}
}
