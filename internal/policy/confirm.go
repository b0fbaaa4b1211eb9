package policy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/store"
)

// DefaultConfirmTTL is how long a confirmation token stays valid.
const DefaultConfirmTTL = 10 * time.Minute

// Preview is what the human sees before confirming.
type Preview struct {
	Account string `json:"account"`
	// From is the From field as sent, with the Sender field when there is
	// one; ReplyTo the Reply-To field.
	From    string   `json:"from"`
	ReplyTo string   `json:"reply_to,omitempty"`
	To      []string `json:"to,omitempty"`
	Cc      []string `json:"cc,omitempty"`
	Bcc     []string `json:"bcc,omitempty"`
	Subject string   `json:"subject"`
	// Attachments are "name (media type, decoded size)".
	Attachments []string `json:"attachments,omitempty"`
	// FirstLines are the opening lines of the body.
	FirstLines string   `json:"first_lines,omitempty"`
	Reasons    []string `json:"reasons,omitempty"`
}

// Text renders the preview for a person.
func (p Preview) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: %s\n", p.From)
	if p.ReplyTo != "" {
		fmt.Fprintf(&b, "Reply-To: %s\n", p.ReplyTo)
	}
	if len(p.To) > 0 {
		fmt.Fprintf(&b, "To: %s\n", strings.Join(p.To, ", "))
	}
	if len(p.Cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\n", strings.Join(p.Cc, ", "))
	}
	if len(p.Bcc) > 0 {
		fmt.Fprintf(&b, "Bcc: %s\n", strings.Join(p.Bcc, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\n", p.Subject)
	if len(p.Attachments) > 0 {
		fmt.Fprintf(&b, "Attachments: %s\n", strings.Join(p.Attachments, ", "))
	}
	if p.FirstLines != "" {
		fmt.Fprintf(&b, "\n%s\n", p.FirstLines)
	}
	for _, r := range p.Reasons {
		fmt.Fprintf(&b, "\nNeeds confirmation: %s", r)
	}
	return b.String()
}

// Pending is a message waiting for confirmation. Payload is what the send
// path needs to submit exactly this message later (its own encoding);
// Hash is the SHA-256 of the exact message bytes.
type Pending struct {
	Account string          `json:"account"`
	Tool    string          `json:"tool"`
	Hash    string          `json:"hash"`
	Preview Preview         `json:"preview"`
	Payload json.RawMessage `json:"payload"`
	Expires time.Time       `json:"expires"`
}

// Errors of Redeem, both invalid_argument: the agent sent a token that
// cannot be used (errors.Is matches them).
var (
	ErrTokenUnknown = fault.New(fault.Invalid, "confirm", "this confirmation token is unknown or was already used: ask the user again and send anew to get a new one")
	ErrTokenExpired = fault.New(fault.Invalid, "confirm", "this confirmation token has expired: send the message again to get a new preview and token")
)

// Confirmations holds pending messages in the shared store. A token is 32
// random bytes shown once; only its SHA-256 is stored, so nobody reading
// the store (or the agent) can derive a valid token, and a token redeems
// exactly the message it was issued for, once.
type Confirmations struct {
	st  store.Store
	ttl time.Duration
	now func() time.Time
}

const confirmBucket = "policy.confirm"

// NewConfirmations uses st; ttl <= 0 means DefaultConfirmTTL.
func NewConfirmations(st store.Store, ttl time.Duration) *Confirmations {
	if ttl <= 0 {
		ttl = DefaultConfirmTTL
	}
	return &Confirmations{st: st, ttl: ttl, now: time.Now}
}

// HashMessage is the binding between a token and the exact message.
func HashMessage(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

func tokenKey(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Issue stores p and returns its single-use token and expiry.
func (c *Confirmations) Issue(ctx context.Context, p Pending) (string, time.Time, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, fault.Errorf(fault.Local, "confirm", "confirmation token: %w", err)
	}
	token := "cfm_" + base64.RawURLEncoding.EncodeToString(b[:])
	now := c.now()
	p.Expires = now.Add(c.ttl)
	val, err := json.Marshal(p)
	if err != nil {
		return "", time.Time{}, fault.Errorf(fault.Internal, "confirm", "confirmation: %w", err)
	}
	err = c.st.Update(ctx, func(tx store.Tx) error {
		bk := tx.Bucket(confirmBucket)
		if err := c.pruneLocked(bk, now); err != nil {
			return err
		}
		return bk.Put(tokenKey(token), val)
	})
	if err != nil {
		return "", time.Time{}, storeErr("store confirmation", err)
	}
	return token, p.Expires, nil
}

// Redeem consumes token and returns its pending message. A token works
// once; an expired one is consumed too.
func (c *Confirmations) Redeem(ctx context.Context, token string) (*Pending, error) {
	if !strings.HasPrefix(token, "cfm_") || len(token) != 4+43 {
		return nil, ErrTokenUnknown
	}
	var p Pending
	found := false
	err := c.st.Update(ctx, func(tx store.Tx) error {
		found = false
		bk := tx.Bucket(confirmBucket)
		k := tokenKey(token)
		v := bk.Get(k)
		if v == nil {
			return nil
		}
		found = true
		if err := json.Unmarshal(v, &p); err != nil {
			return fault.Errorf(fault.Internal, "confirm", "decode confirmation: %w", err)
		}
		return bk.Delete(k)
	})
	if err != nil {
		return nil, storeErr("redeem confirmation", err)
	}
	if !found {
		return nil, ErrTokenUnknown
	}
	if !c.now().Before(p.Expires) {
		return nil, ErrTokenExpired
	}
	return &p, nil
}

// pruneLocked drops expired entries so the bucket stays small.
func (c *Confirmations) pruneLocked(bk store.Bucket, now time.Time) error {
	var old []string
	err := bk.Scan(store.ScanOptions{}, func(k string, v []byte) error {
		var p struct {
			Expires time.Time `json:"expires"`
		}
		if json.Unmarshal(v, &p) != nil || now.Sub(p.Expires) > time.Hour {
			old = append(old, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := bk.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
