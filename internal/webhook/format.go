package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// maxRequest keeps a request under OpenClaw's 256 KiB limit.
const maxRequest = 200 << 10

// Document is the body of a json-format POST.
type Document struct {
	Version int         `json:"version"`
	Webhook string      `json:"webhook"`
	SentAt  int64       `json:"sent_at"`
	Event   watch.Event `json:"event"`
}

// openClawBody is OpenClaw's /hooks/agent request.
type openClawBody struct {
	Message        string `json:"message"`
	Name           string `json:"name"`
	AgentID        string `json:"agentId,omitempty"`
	SessionKey     string `json:"sessionKey,omitempty"`
	Deliver        bool   `json:"deliver"`
	Channel        string `json:"channel,omitempty"`
	To             string `json:"to,omitempty"`
	TimeoutSeconds int    `json:"timeoutSeconds,omitempty"`
}

// Sign is the X-Mailmcp-Signature value for body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header in constant time (for receivers and tests).
func Verify(secret, body []byte, header string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(header))
}

// request builds the POST for e (the body is already bounded at queueing).
func (h *Hook) request(e watch.Event, now time.Time) (*http.Request, error) {
	var body []byte
	var err error
	switch h.cfg.Format {
	case config.WebhookOpenClaw:
		body, err = json.Marshal(openClawBody{Message: openClawMessage(&e), Name: "Email", AgentID: h.cfg.AgentID,
			SessionKey: h.cfg.SessionKey, Deliver: h.cfg.Deliver, Channel: h.cfg.Channel, To: h.cfg.To, TimeoutSeconds: h.cfg.TimeoutSeconds})
	default:
		body, err = json.Marshal(Document{Version: 1, Webhook: h.cfg.Name, SentAt: now.Unix(), Event: e})
	}
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, h.cfg.URL, strings.NewReader(string(body)))
	if err != nil {
		return nil, fmt.Errorf("webhook %s: %w", h.cfg.Name, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "mailmcp-webhook/1")
	req.Header.Set("Idempotency-Key", idempotencyKey(h.cfg.Name, e.ID))
	switch h.cfg.Format {
	case config.WebhookOpenClaw:
		req.Header.Set("Authorization", "Bearer "+h.cfg.Token.Reveal())
	default:
		req.Header.Set("X-Mailmcp-Event", strconv.FormatUint(e.ID, 10))
		req.Header.Set("X-Mailmcp-Timestamp", strconv.FormatInt(now.Unix(), 10))
		req.Header.Set("X-Mailmcp-Signature", Sign([]byte(h.cfg.Secret.Reveal()), body))
	}
	return req, nil
}

// openClawMessage is the text OpenClaw hands the agent (as untrusted
// external content): what happened, the sender, subject and snippet, and
// the id to pass to fetch_message.
func openClawMessage(e *watch.Event) string {
	var b strings.Builder
	where := e.Account + "/" + e.Folder
	switch e.Kind {
	case watch.KindMessage:
		fmt.Fprintf(&b, "New email in %s.\n", where)
		if name, addr := e.From(); addr != "" {
			if name != "" {
				fmt.Fprintf(&b, "From: %s <%s>\n", name, addr)
			} else {
				fmt.Fprintf(&b, "From: %s\n", addr)
			}
		}
		fmt.Fprintf(&b, "Subject: %s\n", e.Subject())
		if e.Envelope != nil && e.Envelope.Date != "" {
			fmt.Fprintf(&b, "Date: %s\n", e.Envelope.Date)
		}
		fmt.Fprintf(&b, "Message id: %s (read it with the email fetch_message tool, account %s)\n", e.MessageID, e.Account)
		if e.Snippet != "" {
			fmt.Fprintf(&b, "Snippet: %s\n", e.Snippet)
		}
		if e.Body != "" {
			fmt.Fprintf(&b, "\nBody:\n%s\n", e.Body)
		}
	case watch.KindFlags:
		fmt.Fprintf(&b, "Email %s in %s now has flags: %s.\n", e.MessageID, where, strings.Join(e.Flags, ", "))
	case watch.KindExpunged:
		fmt.Fprintf(&b, "Email %s was removed from %s.\n", e.MessageID, where)
	case watch.KindReset:
		fmt.Fprintf(&b, "The message ids of %s changed (UIDVALIDITY reset); earlier ids no longer work: search again.\n", where)
	}
	return b.String()
}

// bound trims an event for queueing: no body unless configured, and the
// whole request under maxRequest.
func (h *Hook) bound(e watch.Event) watch.Event {
	if !h.cfg.IncludeBody {
		e.Body = ""
	} else if h.cfg.BodyChars > 0 {
		e.ClipBody(h.cfg.BodyChars)
	}
	if limit := maxRequest - 16<<10; len(e.Body) > limit {
		e.Body = strings.ToValidUTF8(e.Body[:limit], "") + "…"
	}
	return e
}
