package tools

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
	"github.com/mark3labs/mcp-go/mcp"
)

// structuredError reads structuredContent.error of an error result as a
// client receives it (through JSON); false when the result is not an
// error or carries no structured error.
func structuredError(t *testing.T, res *mcp.CallToolResult) (ErrorInfo, bool) {
	t.Helper()
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var wire struct {
		IsError           bool `json:"isError"`
		StructuredContent struct {
			Error *ErrorInfo `json:"error"`
		} `json:"structuredContent"`
	}
	if err := json.Unmarshal(b, &wire); err != nil {
		t.Fatalf("result does not decode: %v: %s", err, b)
	}
	if !wire.IsError || wire.StructuredContent.Error == nil {
		return ErrorInfo{}, false
	}
	return *wire.StructuredContent.Error, true
}

// callArgs are arguments each tool accepts (not necessarily successfully):
// id is a message id, account the account to name. A tool missing here
// fails TestEveryToolErrorIsStructured, so a new tool gets its error paths
// walked too.
func callArgs(tool, id, account string) map[string]any {
	ids := []any{id}
	var args map[string]any
	switch tool {
	case "cancel_send":
		args = map[string]any{"outbox_id": "ob000nope"}
	case "confirm_send":
		args = map[string]any{"confirmation_token": "no-such-token"}
	case "copy", "move":
		args = map[string]any{"ids": ids, "to": "Archive"}
	case "delete":
		args = map[string]any{"ids": ids}
	case "flag":
		args = map[string]any{"ids": ids, "add": []any{"flagged"}}
	case "create_folder", "delete_folder":
		args = map[string]any{"name": "Walked"}
	case "rename_folder":
		args = map[string]any{"from": "Walked", "to": "Walked2"}
	case "fetch_message", "send_draft":
		args = map[string]any{"id": id}
	case "get_attachment", "save_attachment":
		args = map[string]any{"id": id, "part": "2"}
	case "forward":
		args = map[string]any{"id": id, "to": []any{"ann@example.com"}}
	case "reply":
		args = map[string]any{"id": id, "body": "thanks"}
	case "save_draft":
		args = map[string]any{"subject": "walked"}
	case "send_email":
		args = map[string]any{"to": []any{"ann@example.com"}, "subject": "walked", "body": "walked"}
	case "watch_inbox":
		args = map[string]any{"timeout_seconds": 0}
	case "list_accounts", "list_drafts", "list_folders", "outbox_status", "search":
		args = map[string]any{}
	default:
		return nil
	}
	if account != "" {
		args["account"] = account
	}
	return args
}

// takesAccount reports whether tool has an account parameter.
func takesAccount(tool *Tool) bool {
	props, _ := inputSchema(tool.MCP())["properties"].(map[string]any)
	_, ok := props["account"]
	return ok
}

// checkStructured fails unless res is an error result with a known kind
// and a message in structuredContent.error, and returns the kind.
func checkStructured(t *testing.T, what string, res *mcp.CallToolResult) fault.Kind {
	t.Helper()
	info, ok := structuredError(t, res)
	switch {
	case !res.IsError:
		t.Errorf("%s succeeded, want an error: %s", what, resultText(res))
	case !ok:
		t.Errorf("%s: error without structuredContent.error: %s", what, resultText(res))
	case !info.Kind.Known():
		t.Errorf("%s: unknown kind %q", what, info.Kind)
	case strings.TrimSpace(info.Message) == "":
		t.Errorf("%s: empty message", what)
	case info.Retryable != info.Kind.Retryable():
		t.Errorf("%s: retryable %v for kind %s", what, info.Retryable, info.Kind)
	}
	return info.Kind
}

// TestEveryToolErrorIsStructured walks every registered tool's error
// paths — invalid input, an unknown account, and a failure of the engine
// behind it (an IMAP server that refuses connections, or sending and
// watching not available) — and checks that each result is isError with
// structuredContent.error {kind, message, hint, retryable}.
func TestEveryToolErrorIsStructured(t *testing.T) {
	live := newHarness(t, harnessOptions{Sending: true})
	var found struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	live.Decode("search", map[string]any{"limit": 1}, &found)
	if len(found.Messages) == 0 {
		t.Fatal("the demo INBOX is empty")
	}
	liveID := found.Messages[0].ID
	nopeID := imapconn.MessageRef{Account: "nope", Folder: "INBOX", UIDValidity: 1, UID: 1}.ID()

	// An account whose servers refuse every connection.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port := splitHostPort(t, ln.Addr().String())
	ln.Close()
	deadEP := imapconn.Endpoint{Host: host, Port: port, TLS: "plain"}
	dead := newHarness(t, harnessOptions{
		Accounts: []*imapconn.Account{{ID: "dead", Email: "dead@example.test", Provider: "generic", IMAP: deadEP, SMTP: deadEP,
			Auth: &imapconn.PasswordLogin{Username: "dead@example.test", Source: auth.SecretSource{Command: "printf %s x"}}}},
		Infos: []AccountInfo{{ID: "dead", Email: "dead@example.test", Provider: "generic", DownloadDir: t.TempDir(), InlineAttachmentMax: 1 << 20}},
	})
	deadID := imapconn.MessageRef{Account: "dead", Folder: "INBOX", UIDValidity: 1, UID: 1}.ID()

	for _, tool := range All() {
		t.Run(tool.Name, func(t *testing.T) {
			args := callArgs(tool.Name, liveID, "")
			if args == nil {
				t.Fatalf("no arguments for %s in callArgs: add them so its error paths are walked", tool.Name)
			}
			args["no_such_parameter"] = true
			if k := checkStructured(t, "invalid input", live.Call(tool.Name, args)); k != "" && k != fault.Invalid {
				t.Errorf("invalid input: kind %s, want %s", k, fault.Invalid)
			}

			switch {
			case takesAccount(tool):
				checkStructured(t, "unknown account", live.Call(tool.Name, callArgs(tool.Name, liveID, "nope")))
			case args["id"] != nil || args["ids"] != nil:
				checkStructured(t, "id of an unknown account", live.Call(tool.Name, callArgs(tool.Name, nopeID, "")))
			}

			if tool.Name == "list_accounts" {
				return // reports each account's health as data, never fails on it
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			k := checkStructured(t, "engine failure", dead.CallCtx(ctx, tool.Name, callArgs(tool.Name, deadID, ""), nil))
			t.Logf("%s engine failure: %s", tool.Name, k)
			if k == fault.Internal {
				t.Errorf("engine failure reported as a bug (internal): %s", resultText(dead.CallCtx(ctx, tool.Name, callArgs(tool.Name, deadID, ""), nil)))
			}
		})
	}
}
