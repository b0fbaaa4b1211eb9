package config

import (
	"fmt"
	"strings"
)

// Setting documents one configuration key for the README table.
type Setting struct {
	Key, Env, Default, Doc string
}

// Settings lists every setting. The README table is generated from it and a
// test fails when the two drift apart.
func Settings() []Setting {
	return []Setting{
		{"state_dir", "MAILMCP_STATE_DIR", "`$XDG_STATE_HOME/mailmcp`", "Tokens, outbox and watcher checkpoints."},
		{"state_backend", "MAILMCP_STATE_BACKEND", "`file` (`postgres` when a URL is set)", "`file`: one bbolt file in `state_dir`; `postgres`: a PostgreSQL database shared by replicas (see Running replicas)."},
		{"postgres_url", "MAILMCP_POSTGRES_URL", "", "`postgres://user@host/db` for `state_backend = \"postgres\"`. May hold a password: prefer the env var, never logged."},
		{"read_only", "", "`false`", "Remove every write tool (also `--read-only`)."},
		{"toolsets", "MAILMCP_TOOLSETS", "all", "Groups of tools to offer, e.g. `[\"read\", \"send\"]` (also `--toolsets read,send`): `read`, `organise`, `send`, `watch`; `list_accounts` is always offered."},
		{"log_level", "", "`info`", "debug, info, warn or error (logs go to stderr or `--log-file`)."},
		{"accounts[].id", "MAILMCP_ACCOUNT_ID", "`default` (env account)", "Short id the tools use: 1-32 of `a-z 0-9 - _`."},
		{"accounts[].email", "MAILMCP_EMAIL", "required", "The account's address; setting the env var creates the env account."},
		{"accounts[].name", "MAILMCP_NAME", "", "Display name for outgoing mail."},
		{"accounts[].provider", "MAILMCP_PROVIDER", "`generic`", "Preset: " + strings.Join(ProviderNames(), ", ") + "."},
		{"accounts[].username", "MAILMCP_USERNAME", "the email", "Login name for IMAP and SMTP."},
		{"accounts[].auth", "MAILMCP_AUTH", "`password` (`oauth2` for outlook)", "`password` or `oauth2`."},
		{"accounts[].auth_mechanism", "", "strongest offered", "Pins the SASL mechanism of a password login: `SCRAM-SHA-256`, `SCRAM-SHA-1` (each also `-PLUS`), `CRAM-MD5`, `PLAIN` or `LOGIN`. Without it: SCRAM (channel-bound `-PLUS` when offered on TLS), then CRAM-MD5, then PLAIN/LOGIN, whichever the server offers first."},
		{"accounts[].protocol", "", "`imap`", "`imap`, or `pop3`: mail is downloaded once into a local copy and served as one folder, INBOX; see POP3 accounts."},
		{"accounts[].pop3.host", "", "preset", "POP3 server of a `pop3` account. Presets: gmail, outlook, yahoo, fastmail, zoho (iCloud has no POP3)."},
		{"accounts[].pop3.port", "", "995 (110 for starttls)", "POP3 port."},
		{"accounts[].pop3.tls", "", "`implicit`", "`implicit`, `starttls` (STLS), or `plain` (loopback only)."},
		{"accounts[].pop3_delete_after_days", "", "0 (keep)", "Delete server copies of mail stored locally at least this many days ago; never before the local copy is on disk."},
		{"accounts[].password_env", "MAILMCP_PASSWORD", "", "In the file: the *name* of the env var that holds the password or app password, e.g. `password_env = \"WORK_MAIL_PASSWORD\"`. In the environment it differs: `MAILMCP_PASSWORD` holds the env account's password itself."},
		{"accounts[].password_file", "MAILMCP_PASSWORD_FILE", "", "File whose content is the password."},
		{"accounts[].password_command", "MAILMCP_PASSWORD_COMMAND", "", "Command (run by `sh -c`) whose stdout is the password, e.g. `pass show mail`."},
		{"accounts[].ca_file", "MAILMCP_CA_FILE", "", "Extra PEM CA bundle to trust."},
		{"accounts[].read_only", "", "`false`", "Remove the write tools for this account."},
		{"accounts[].max_connections", "", "3 (gmail 5)", "IMAP command connections in the pool (1-15)."},
		{"accounts[].sent_saved_by_server", "", "preset (gmail, outlook: true)", "The server files sent mail itself; otherwise mailmcp appends to Sent."},
		{"accounts[].download_dir", "", "`<state_dir>/downloads/<id>`", "The only directory `save_attachment` writes to."},
		{"accounts[].attachment_dir", "", "none", "The only directory outgoing mail may attach files from; unset: no files, only attachments of existing messages."},
		{"accounts[].inline_attachment_max", "", "1048576", "Largest attachment (bytes) `get_attachment` returns inline; larger ones must be saved."},
		{"accounts[].max_recipients", "", "50", "Most recipients (To+Cc+Bcc) of one outgoing message."},
		{"accounts[].max_message_bytes", "", "26214400", "Largest outgoing message in bytes."},
		{"accounts[].send_policy", "MAILMCP_SEND_POLICY", "`confirm`", "`disabled` (no send tools), `drafts_only` (compose saves drafts), `confirm` (every send confirmed), `allowlist` (confirm only outside the allowlist), `autonomous`."},
		{"accounts[].send_allowlist", "", "", "Addresses, domains and `*.domains` allowlist mode sends to without confirmation."},
		{"accounts[].allow_known_correspondents", "", "`false`", "In allowlist mode, also admit addresses the account has sent mail to: through mailmcp, or in Sent messages from the account's own address that the agent did not copy or move there (never for forwards)."},
		{"accounts[].authserv_ids", "", "preset, else the IMAP host's domain", "Authentication-Results authserv-ids your own server stamps (`mx.example.org`, or `.example.org` for any host under it); other such headers are ignored as forgeable."},
		{"accounts[].max_sends_per_hour", "", "20", "Messages per hour (0: no limit)."},
		{"accounts[].max_sends_per_day", "", "100", "Messages per day (0: no limit)."},
		{"accounts[].max_new_recipients_per_day", "", "20", "First-time recipients per day (0: no limit)."},
		{"accounts[].watch", "", "`false`", "Watch this account for new mail (IDLE) when running as a daemon (`serve --http`) or with `--watch`; feeds `watch_inbox`, resources and webhooks."},
		{"accounts[].watch_folders", "", "`[\"INBOX\"]`", "Folders the watcher follows."},
		{"accounts[].watch_idle_connections", "", "1", "Watched folders that get an IDLE connection each (the first of `watch_folders`); the others are checked every `poll_interval` over one shared connection (1-15)."},
		{"accounts[].poll_interval", "", "`60s`", "How often to poll (NOOP) servers without IDLE, and to check for mail an IDLE server did not announce (5s-1h)."},
		{"accounts[].index", "", "`false` (demo: `true`)", "Keep a local full-text index of this account's mail in `<state_dir>/index/`: instant `search` (also `sort: \"relevance\"`), and `search` and `fetch_message` while the server is unreachable."},
		{"accounts[].index_max_bytes", "", "2147483648", "Largest index file; indexing stops there (newest mail is indexed first)."},
		{"accounts[].index_folders", "", "all but Trash and Junk", "Folders the index covers."},
		{"accounts[].imap.host", "MAILMCP_IMAP_HOST", "preset", "IMAP server."},
		{"accounts[].imap.port", "MAILMCP_IMAP_PORT", "993 (143 for starttls)", "IMAP port."},
		{"accounts[].imap.tls", "MAILMCP_IMAP_TLS", "`implicit`", "`implicit`, `starttls`, or `plain` (loopback only)."},
		{"accounts[].smtp.host", "MAILMCP_SMTP_HOST", "preset", "SMTP submission server."},
		{"accounts[].smtp.port", "MAILMCP_SMTP_PORT", "465 (587 for starttls)", "SMTP port."},
		{"accounts[].smtp.tls", "MAILMCP_SMTP_TLS", "`implicit`", "`implicit`, `starttls`, or `plain` (loopback only)."},
		{"accounts[].oauth.client_id", "", "", "OAuth client id of your own app (auth = oauth2)."},
		{"accounts[].oauth.client_secret_env", "", "", "Env var holding the OAuth client secret, if the app has one."},
		{"accounts[].oauth.client_secret_file", "", "", "File holding the OAuth client secret."},
		{"accounts[].oauth.tenant", "", "`common`", "Microsoft tenant: common, organizations, consumers or a GUID."},
		{"accounts[].oauth.auth_url", "", "preset", "Authorization URL (provider generic)."},
		{"accounts[].oauth.token_url", "", "preset", "Token URL (provider generic)."},
		{"accounts[].oauth.device_url", "", "preset", "Device authorization URL (provider generic)."},
		{"accounts[].oauth.scopes", "", "preset", "Scopes (provider generic)."},
		{"webhooks[].name", "", "`webhook<N>`", "Name of the webhook's durable delivery queue."},
		{"webhooks[].url", "", "required", "Where events are POSTed; HTTPS except to loopback. For `openclaw`: `http://127.0.0.1:18789/hooks/agent`."},
		{"webhooks[].format", "", "`json`", "`openclaw` (OpenClaw `/hooks/agent`, Bearer token) or `json` (mailmcp event JSON signed with HMAC-SHA256)."},
		{"webhooks[].token_env", "", "", "Env var holding OpenClaw's `hooks.token` (format openclaw)."},
		{"webhooks[].token_file", "", "", "File holding OpenClaw's `hooks.token`."},
		{"webhooks[].secret_env", "", "", "Env var holding the HMAC key (format json)."},
		{"webhooks[].secret_file", "", "", "File holding the HMAC key."},
		{"webhooks[].accounts", "", "all", "Only events of these account ids."},
		{"webhooks[].folders", "", "all watched", "Only events of these folders."},
		{"webhooks[].senders", "", "all", "Sender allowlist: addresses or `@domain`s."},
		{"webhooks[].kinds", "", "`[\"message\", \"reset\"]`", "Event kinds: message, flags, expunged, reset."},
		{"webhooks[].include_body", "", "`false`", "Add the message text (bounded by `body_chars`); otherwise only a short snippet."},
		{"webhooks[].body_chars", "", "4000", "Most characters of body text sent with `include_body`."},
		{"webhooks[].deliver", "", "`false`", "OpenClaw: deliver the agent's reply to a channel."},
		{"webhooks[].agent_id", "", "", "OpenClaw `agentId`."},
		{"webhooks[].session_key", "", "", "OpenClaw `sessionKey`."},
		{"webhooks[].channel", "", "", "OpenClaw `channel` for delivered replies."},
		{"webhooks[].to", "", "", "OpenClaw `to` for delivered replies."},
		{"webhooks[].timeout_seconds", "", "OpenClaw's", "OpenClaw `timeoutSeconds` for the agent run."},
		{"http.token_file", "MAILMCP_HTTP_TOKEN_FILE", "", "serve --http: file of accepted bearer tokens, one per line (also `--token-file`; one token in `MAILMCP_HTTP_TOKEN`)."},
		{"http.tls_cert", "", "", "serve --http: PEM certificate chain for HTTPS (also `--tls-cert`)."},
		{"http.tls_key", "", "", "serve --http: its PEM private key (also `--tls-key`)."},
		{"http.allow_origins", "", "loopback only", "Browser origins accepted besides loopback (also `--allow-origin`)."},
		{"http.behind_proxy", "", "`false`", "A reverse proxy terminates TLS: plain HTTP on a non-loopback address, token still required (also `--behind-proxy`)."},
		{"http.max_body_bytes", "", "4194304", "Largest request body (also `--max-body`)."},
		{"http.max_sessions", "", "64", "Most MCP sessions at once, 0 for no limit (also `--max-sessions`)."},
		{"http.session_idle", "", "`30m`", "End MCP sessions idle this long (also `--session-idle`)."},
		{"(file)", "MAILMCP_CONFIG", "`$XDG_CONFIG_HOME/mailmcp/config.toml`", "Where the config file is read (also `--config`)."},
	}
}

// SettingsMarkdown renders Settings as a Markdown table.
func SettingsMarkdown() string {
	var b strings.Builder
	b.WriteString("| Setting | Environment | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range Settings() {
		env := ""
		if s.Env != "" {
			env = "`" + s.Env + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Key, env, s.Default, s.Doc)
	}
	return b.String()
}
