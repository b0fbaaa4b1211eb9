package imapconn

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// MessageRef names one message stably: sequence numbers shift, UIDs only
// change together with the folder's UIDVALIDITY, which the id carries so a
// stale id is refused instead of pointing at another message (RFC 9051 2.3.1.1).
type MessageRef struct {
	Account     string
	Folder      string
	UIDValidity uint32
	UID         imap.UID
}

const idPrefix = "m1."

// ID encodes the reference as an opaque, URL-safe string.
func (r MessageRef) ID() string {
	raw := fmt.Sprintf("%s\x00%s\x00%d\x00%d", r.Account, r.Folder, r.UIDValidity, r.UID)
	return idPrefix + base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseID decodes an id made by ID.
func ParseID(id string) (MessageRef, error) {
	bad := func() (MessageRef, error) {
		return MessageRef{}, &fault.Error{Kind: fault.Invalid, Op: "parse id", Err: fmt.Errorf("%q is not a message id", truncate(id, 80)),
			Hint: "Use an id exactly as returned by search or list tools"}
	}
	if !strings.HasPrefix(id, idPrefix) {
		return bad()
	}
	raw, err := base64.RawURLEncoding.DecodeString(id[len(idPrefix):])
	if err != nil {
		return bad()
	}
	parts := strings.Split(string(raw), "\x00")
	if len(parts) != 4 || parts[0] == "" || parts[1] == "" {
		return bad()
	}
	uv, err1 := strconv.ParseUint(parts[2], 10, 32)
	uid, err2 := strconv.ParseUint(parts[3], 10, 32)
	if err1 != nil || err2 != nil || uid == 0 {
		return bad()
	}
	return MessageRef{Account: parts[0], Folder: parts[1], UIDValidity: uint32(uv), UID: imap.UID(uid)}, nil
}

// checkValidity refuses a reference made before the folder's UIDVALIDITY changed.
func (r MessageRef) checkValidity(c *Conn) error {
	if _, uv := c.Selected(); uv != r.UIDValidity {
		return &fault.Error{Kind: fault.Stale, Op: "resolve id", Err: fmt.Errorf("message ids for folder %q changed (UIDVALIDITY %d, id has %d)", r.Folder, uv, r.UIDValidity),
			Hint: "Search again to get current ids"}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
