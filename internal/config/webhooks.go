package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Webhook formats.
const (
	WebhookOpenClaw = "openclaw" // POST to OpenClaw's /hooks/agent with a bearer token
	WebhookJSON     = "json"     // mailmcp's own event JSON, HMAC-signed
)

// Webhook limits and defaults.
const (
	DefaultWebhookBodyChars = 4000
	MaxWebhookBodyChars     = 100000
	DefaultPollInterval     = Duration(60 * time.Second)
)

// Duration is a TOML duration written as a Go duration string ("30s", "5m").
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration (like 30s or 5m)", string(b))
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// Std is the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// Webhook is one [[webhooks]] entry: where new-mail events are POSTed.
// Secrets are named by source (env var or file), never written here.
type Webhook struct {
	// Name identifies the webhook's delivery queue in the state store
	// (default: webhook1, webhook2, … by position).
	Name string `toml:"name"`
	// URL receives the POSTs. HTTPS is required except to loopback hosts.
	// For format openclaw it is the gateway's /hooks/agent endpoint.
	URL string `toml:"url"`
	// Format is openclaw or json.
	Format string `toml:"format"`
	// TokenEnv / TokenFile hold OpenClaw's hooks.token (sent as Bearer).
	TokenEnv  string `toml:"token_env"`
	TokenFile string `toml:"token_file"`
	// SecretEnv / SecretFile hold the HMAC-SHA256 key for format json.
	SecretEnv  string `toml:"secret_env"`
	SecretFile string `toml:"secret_file"`
	// Accounts and Folders filter the events (empty: all watched ones).
	Accounts []string `toml:"accounts"`
	Folders  []string `toml:"folders"`
	// Senders is an allowlist of sender addresses or @domains (empty: all).
	Senders []string `toml:"senders"`
	// IncludeBody adds the message text (at most BodyChars characters).
	IncludeBody bool `toml:"include_body"`
	BodyChars   int  `toml:"body_chars"`
	// Deliver asks OpenClaw to deliver the agent's reply to a channel.
	Deliver bool `toml:"deliver"`
	// AgentID, SessionKey, Channel and To are passed to OpenClaw's
	// /hooks/agent as agentId, sessionKey, channel and to.
	AgentID    string `toml:"agent_id"`
	SessionKey string `toml:"session_key"`
	Channel    string `toml:"channel"`
	To         string `toml:"to"`
	// TimeoutSeconds is OpenClaw's timeoutSeconds for the agent run.
	TimeoutSeconds int `toml:"timeout_seconds"`
	// Kinds selects event kinds (default: message and reset).
	Kinds []string `toml:"kinds"`
}

// Event kinds a webhook may select.
var webhookKinds = []string{"message", "flags", "expunged", "reset"}

func (w *Webhook) applyDefaults(i int) {
	if w.Name == "" {
		w.Name = fmt.Sprintf("webhook%d", i+1)
	}
	if w.Format == "" {
		w.Format = WebhookJSON
	}
	if w.BodyChars == 0 {
		w.BodyChars = DefaultWebhookBodyChars
	}
	if len(w.Kinds) == 0 {
		w.Kinds = []string{"message", "reset"}
	}
	w.TokenFile = expandHome(w.TokenFile)
	w.SecretFile = expandHome(w.SecretFile)
}

// WatchedFolders are the folders an account's watcher follows.
func (a *Account) WatchedFolders() []string {
	if len(a.WatchFolders) > 0 {
		return a.WatchFolders
	}
	return []string{"INBOX"}
}

// PollEvery is the polling interval for servers without IDLE.
func (a *Account) PollEvery() time.Duration {
	if a.PollInterval == 0 {
		return DefaultPollInterval.Std()
	}
	return a.PollInterval.Std()
}

// IdleConnections is how many watched folders get an IDLE connection each.
func (a *Account) IdleConnections() int {
	if a.WatchIdleConnections == 0 {
		return 1
	}
	return a.WatchIdleConnections
}

func validateWatch(a *Account, key func(string) string, add func(string, string, ...any)) {
	if n := a.WatchIdleConnections; n < 0 || n > 15 {
		add(key("watch_idle_connections"), "%d is out of range: use 1 to 15 (providers refuse more; see the connection budget in the README)", n)
	}
	if p := a.PollInterval.Std(); p != 0 && (p < 5*time.Second || p > time.Hour) {
		add(key("poll_interval"), "%s is out of range: use 5s to 1h", p)
	}
	for _, f := range a.WatchFolders {
		if strings.TrimSpace(f) == "" || strings.ContainsAny(f, "\r\n\x00") {
			add(key("watch_folders"), "%q is not a folder name", f)
		}
	}
}

func validateWebhooks(cfg *Config, add func(string, string, ...any)) {
	names := map[string]bool{}
	for i := range cfg.Webhooks {
		w := &cfg.Webhooks[i]
		key := func(k string) string { return fmt.Sprintf("webhooks[%d].%s", i, k) }
		if !idPattern.MatchString(w.Name) {
			add(key("name"), "%q is not a valid webhook name: use 1-32 lowercase letters, digits, '-' or '_'", w.Name)
		} else if names[w.Name] {
			add(key("name"), "webhook name %q is used twice; names must be unique", w.Name)
		}
		names[w.Name] = true
		if err := CheckWebhookURL(w.URL); err != nil {
			add(key("url"), "%v", err)
		}
		switch w.Format {
		case WebhookOpenClaw:
			if (w.TokenEnv == "") == (w.TokenFile == "") {
				add(key("token_env"), "format openclaw needs exactly one of token_env or token_file (OpenClaw's hooks.token)")
			}
		case WebhookJSON:
			if (w.SecretEnv == "") == (w.SecretFile == "") {
				add(key("secret_env"), "format json needs exactly one of secret_env or secret_file (the HMAC key receivers verify)")
			}
		default:
			add(key("format"), "%q is not a webhook format: use openclaw or json", w.Format)
		}
		if w.BodyChars < 1 || w.BodyChars > MaxWebhookBodyChars {
			add(key("body_chars"), "%d is out of range: use 1 to %d", w.BodyChars, MaxWebhookBodyChars)
		}
		if w.TimeoutSeconds < 0 || w.TimeoutSeconds > 3600 {
			add(key("timeout_seconds"), "%d is out of range: use 0 (OpenClaw's default) to 3600", w.TimeoutSeconds)
		}
		for _, id := range w.Accounts {
			if cfg.Account(id) == nil {
				add(key("accounts"), "unknown account %q", id)
			}
		}
		for _, k := range w.Kinds {
			if !slices.Contains(webhookKinds, k) {
				add(key("kinds"), "%q is not an event kind: use %s", k, strings.Join(webhookKinds, ", "))
			}
		}
		for _, s := range w.Senders {
			if s == "" || strings.ContainsAny(s, " \t\r\n,;<>") {
				add(key("senders"), "%q is not an address or @domain", s)
			}
		}
	}
}

// CheckWebhookURL accepts https URLs, and http only to loopback hosts, so
// mail content never crosses a network unencrypted.
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	if u.User != nil {
		return fmt.Errorf("%q carries credentials; use token_env/token_file or secret_env/secret_file", u.Redacted())
	}
	if u.RawQuery != "" && strings.Contains(strings.ToLower(u.RawQuery), "token") {
		return fmt.Errorf("%q carries a token in the query; OpenClaw rejects that: use token_env or token_file", u.Redacted())
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !IsLoopback(u.Hostname()) {
			return fmt.Errorf("%q uses plain http to %s; HTTPS is required except to loopback hosts", raw, u.Hostname())
		}
	default:
		return fmt.Errorf("%q must be an https URL (http only to loopback)", raw)
	}
	return nil
}
