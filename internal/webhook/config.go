package webhook

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mailmcp/mailmcp/internal/auth"
	"github.com/mailmcp/mailmcp/internal/config"
	"github.com/mailmcp/mailmcp/internal/watch"
)

// Config is one webhook, secrets resolved.
type Config struct {
	Name   string
	URL    string
	Format string // config.WebhookOpenClaw or config.WebhookJSON
	// Token is OpenClaw's hooks.token; Secret the HMAC key of format json.
	Token  auth.Secret
	Secret auth.Secret
	// Filter selects events (accounts, folders, kinds); Senders is an
	// allowlist of addresses and @domains.
	Filter  watch.Filter
	Senders []string
	// IncludeBody adds the message text, at most BodyChars characters.
	IncludeBody bool
	BodyChars   int
	// OpenClaw /hooks/agent fields.
	Deliver        bool
	AgentID        string
	SessionKey     string
	Channel        string
	To             string
	TimeoutSeconds int
}

// FromConfig resolves a [[webhooks]] entry's secrets.
func FromConfig(ctx context.Context, w config.Webhook) (Config, error) {
	c := Config{Name: w.Name, URL: w.URL, Format: w.Format, Senders: w.Senders, IncludeBody: w.IncludeBody, BodyChars: w.BodyChars,
		Deliver: w.Deliver, AgentID: w.AgentID, SessionKey: w.SessionKey, Channel: w.Channel, To: w.To, TimeoutSeconds: w.TimeoutSeconds,
		Filter: watch.Filter{Accounts: w.Accounts, Folders: w.Folders}}
	for _, k := range w.Kinds {
		c.Filter.Kinds = append(c.Filter.Kinds, watch.Kind(k))
	}
	var src auth.SecretSource
	switch w.Format {
	case config.WebhookOpenClaw:
		src = auth.SecretSource{Env: w.TokenEnv, File: w.TokenFile}
	default:
		src = auth.SecretSource{Env: w.SecretEnv, File: w.SecretFile}
	}
	s, _, err := src.Resolve(ctx)
	if err != nil {
		return c, fmt.Errorf("webhook %s: cannot read its secret (%s): %v", w.Name, src.Describe(), err)
	}
	if w.Format == config.WebhookOpenClaw {
		c.Token = s
	} else {
		c.Secret = s
	}
	return c, nil
}

// Options tune delivery; zero values mean the defaults.
type Options struct {
	// Timeout bounds one POST (30 s).
	Timeout time.Duration
	// Lease is how long a claimed item is reserved (2 × Timeout).
	Lease time.Duration
	// RetryMin and RetryMax bound the backoff (1 s, 10 min).
	RetryMin, RetryMax time.Duration
	// MaxAge gives up items queued longer than this (24 h).
	MaxAge time.Duration
	// Poll is how often the queue is checked for items queued by other
	// processes or due for retry (1 s).
	Poll time.Duration
}

func (o *Options) withDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 30*time.Second)
	def(&o.Lease, 2*o.Timeout)
	def(&o.RetryMin, time.Second)
	def(&o.RetryMax, 10*time.Minute)
	def(&o.MaxAge, 24*time.Hour)
	def(&o.Poll, time.Second)
}

// idempotencyKey is stable for an event and webhook across retries.
func idempotencyKey(name string, id uint64) string {
	return "mailmcp-" + name + "-" + strconv.FormatUint(id, 10)
}
