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
		{"read_only", "", "`false`", "Remove every write tool (also `--read-only`)."},
		{"log_level", "", "`info`", "debug, info, warn or error (logs go to stderr or `--log-file`)."},
		{"accounts[].id", "MAILMCP_ACCOUNT_ID", "`default` (env account)", "Short id the tools use: 1-32 of `a-z 0-9 - _`."},
		{"accounts[].email", "MAILMCP_EMAIL", "required", "The account's address; setting the env var creates the env account."},
		{"accounts[].name", "MAILMCP_NAME", "", "Display name for outgoing mail."},
		{"accounts[].provider", "MAILMCP_PROVIDER", "`generic`", "Preset: " + strings.Join(ProviderNames(), ", ") + "."},
		{"accounts[].username", "MAILMCP_USERNAME", "the email", "Login name for IMAP and SMTP."},
		{"accounts[].auth", "MAILMCP_AUTH", "`password` (`oauth2` for outlook)", "`password` or `oauth2`."},
		{"accounts[].password_env", "MAILMCP_PASSWORD", "", "Name of the env var holding the password or app password."},
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
