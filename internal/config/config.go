package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/mailmcp/mailmcp/internal/sendrule"
)

// TLSMode is how an endpoint is secured.
type TLSMode string

// TLS modes for an endpoint.
const (
	TLSImplicit TLSMode = "implicit" // TLS from the first byte (IMAPS 993, SMTPS 465)
	TLSStartTLS TLSMode = "starttls" // plain connect, then STARTTLS before any credential
	TLSPlain    TLSMode = "plain"    // no TLS at all: allowed only to loopback hosts
)

// AuthKind is how an account logs in.
type AuthKind string

// Auth methods for an account.
const (
	AuthPassword AuthKind = "password"
	AuthOAuth2   AuthKind = "oauth2"
)

// Protocol is how an account's mail is read.
type Protocol string

// Protocols.
const (
	ProtocolIMAP Protocol = "imap"
	ProtocolPOP3 Protocol = "pop3"
)

// StateBackend names a state store implementation.
type StateBackend string

// State backends.
const (
	StateFile     StateBackend = "file"
	StatePostgres StateBackend = "postgres"
)

// Config is the whole configuration.
type Config struct {
	// Path is the file the configuration was read from ("" when none).
	Path string `toml:"-"`
	// StateDir holds tokens, the outbox and watcher checkpoints.
	StateDir string `toml:"state_dir"`
	// StateBackend is where the state store lives: the bbolt file in
	// StateDir, or a PostgreSQL database shared by replicas.
	StateBackend StateBackend `toml:"state_backend"`
	// PostgresURL is the database of the postgres backend. It may carry a
	// password: never log or print it.
	PostgresURL string `toml:"postgres_url"`
	// ReadOnly removes every write tool for every account.
	ReadOnly bool `toml:"read_only"`
	// Toolsets names the groups of tools to offer (read, organise, send,
	// watch); empty means all. The tools package checks the names.
	Toolsets []string `toml:"toolsets"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`
	// Accounts lists the mail accounts, in the order given.
	Accounts []Account `toml:"accounts"`
	// Webhooks receive new-mail events (see webhooks.go).
	Webhooks []Webhook `toml:"webhooks"`
	// HTTP configures serve --http (flags override it).
	HTTP HTTP `toml:"http"`
}

// Server is one network endpoint (IMAP or SMTP).
type Server struct {
	Host string  `toml:"host"`
	Port int     `toml:"port"`
	TLS  TLSMode `toml:"tls"`
}

// Address is "host:port".
func (s Server) Address() string { return fmt.Sprintf("%s:%d", s.Host, s.Port) }

// Account is one mailbox the agent can use.
type Account struct {
	ID       string   `toml:"id"`
	Email    string   `toml:"email"`
	Name     string   `toml:"name"`
	Provider Provider `toml:"provider"`
	Username string   `toml:"username"`
	Auth     AuthKind `toml:"auth"`

	// Where the password or app password comes from: exactly one of these.
	PasswordEnv     string `toml:"password_env"`
	PasswordFile    string `toml:"password_file"`
	PasswordCommand string `toml:"password_command"`
	// AuthMechanism pins the SASL mechanism of a password login (for
	// example CRAM-MD5); empty chooses the strongest the server offers.
	AuthMechanism string `toml:"auth_mechanism"`

	// CAFile is an extra PEM bundle to trust (self-hosted servers).
	CAFile string `toml:"ca_file"`
	// ReadOnly removes the write tools for this account.
	ReadOnly bool `toml:"read_only"`
	// MaxConnections bounds the IMAP command connections of this account.
	MaxConnections int `toml:"max_connections"`
	// SentSavedByServer says the provider files a Sent copy itself.
	SentSavedByServer *bool `toml:"sent_saved_by_server"`

	// DownloadDir is where save_attachment writes; the agent names files
	// only inside it. Default: <state_dir>/downloads/<id>.
	DownloadDir string `toml:"download_dir"`
	// AttachmentDir is the only directory outgoing mail may attach files
	// from; empty means files cannot be attached (attachments of existing
	// messages still can).
	AttachmentDir string `toml:"attachment_dir"`
	// InlineAttachmentMax is the largest attachment get_attachment returns
	// in the tool result, in bytes; larger ones must be saved.
	InlineAttachmentMax int64 `toml:"inline_attachment_max"`
	// MaxRecipients bounds To+Cc+Bcc of one outgoing message.
	MaxRecipients int `toml:"max_recipients"`
	// MaxMessageBytes bounds the size of one outgoing message.
	MaxMessageBytes int64 `toml:"max_message_bytes"`

	// SendPolicy is disabled, drafts_only, confirm (default), allowlist or
	// autonomous: how much sending autonomy the agent has.
	SendPolicy string `toml:"send_policy"`
	// SendAllowlist holds addresses and domains that allowlist mode sends
	// to without confirmation.
	SendAllowlist []string `toml:"send_allowlist"`
	// AllowKnownCorrespondents admits, in allowlist mode, addresses the
	// account has sent mail to before.
	AllowKnownCorrespondents bool `toml:"allow_known_correspondents"`
	// AuthServIDs are the authserv-ids of the Authentication-Results
	// headers the account's own mail server adds ("mx.example.org", or
	// ".example.org" for any host under it). Only those are believed.
	AuthServIDs []string `toml:"authserv_ids"`
	// Caps on sending; 0 means no limit (set explicitly).
	MaxSendsPerHour        *int `toml:"max_sends_per_hour"`
	MaxSendsPerDay         *int `toml:"max_sends_per_day"`
	MaxNewRecipientsPerDay *int `toml:"max_new_recipients_per_day"`

	// Watch runs an IDLE watcher on WatchFolders (default INBOX) whenever
	// mailmcp runs as a daemon (serve --http) or with --watch.
	Watch        bool     `toml:"watch"`
	WatchFolders []string `toml:"watch_folders"`
	// PollInterval is how often servers without IDLE are polled.
	PollInterval Duration `toml:"poll_interval"`
	// WatchIdleConnections bounds the watcher's IDLE connections (default
	// 1): the first ones of WatchFolders IDLE, the others are polled over
	// one shared connection.
	WatchIdleConnections int `toml:"watch_idle_connections"`

	// Index keeps a local full-text index of the account's mail in the
	// state directory: instant search, and reading while the server is
	// unreachable (see internal/index).
	Index bool `toml:"index"`
	// IndexMaxBytes bounds the index file; indexing stops there.
	IndexMaxBytes int64 `toml:"index_max_bytes"`
	// IndexFolders are the folders indexed (default: all but Trash and Junk).
	IndexFolders []string `toml:"index_folders"`

	IMAP Server `toml:"imap"`
	SMTP Server `toml:"smtp"`
	// Protocol is how the account's mail is read: imap (the default) or
	// pop3, whose mail is downloaded into a local copy (internal/popbox).
	Protocol Protocol `toml:"protocol"`
	// POP3 is the POP3 server of a pop3 account.
	POP3 Server `toml:"pop3"`
	// POP3DeleteAfterDays, when positive, deletes server copies of mail
	// stored locally at least that many days ago; 0 leaves mail there.
	POP3DeleteAfterDays int `toml:"pop3_delete_after_days"`

	// OAuth holds the OAuth 2.0 client settings when Auth is oauth2.
	OAuth OAuth `toml:"oauth"`

	// The send policy as Load parsed it (never read from or written to
	// TOML): see SendRules.
	sendMode  sendrule.Mode
	sendAllow *sendrule.AllowList
}

// SendRules returns the send policy mode and compiled allowlist. Load parses
// and validates them once; an Account built in code (the demo) is parsed
// here instead.
func (a *Account) SendRules() (sendrule.Mode, *sendrule.AllowList, error) {
	if a.sendMode != "" && a.sendAllow != nil {
		return a.sendMode, a.sendAllow, nil
	}
	mode, err := sendrule.ParseMode(a.SendPolicy)
	if err != nil {
		return "", nil, err
	}
	allow, err := sendrule.NewAllowList(a.SendAllowlist)
	if err != nil {
		return "", nil, err
	}
	return mode, allow, nil
}

// OAuth describes the OAuth 2.0 client an account logs in with. The client
// secret, like any secret, is named by source, never written here.
type OAuth struct {
	ClientID         string   `toml:"client_id"`
	ClientSecretEnv  string   `toml:"client_secret_env"`
	ClientSecretFile string   `toml:"client_secret_file"`
	Tenant           string   `toml:"tenant"`
	AuthURL          string   `toml:"auth_url"`
	TokenURL         string   `toml:"token_url"`
	DeviceURL        string   `toml:"device_url"`
	Scopes           []string `toml:"scopes"`
}

// Login is the IMAP/SMTP user name: Username, or the address.
func (a *Account) Login() string {
	if a.Username != "" {
		return a.Username
	}
	return a.Email
}

// SavesSent reports whether the server files sent mail by itself.
func (a *Account) SavesSent() bool {
	if a.Protocol == ProtocolPOP3 {
		return true // no Sent folder to file a copy in: POP3 has INBOX only
	}
	if a.SentSavedByServer != nil {
		return *a.SentSavedByServer
	}
	return presetFor(a.Provider).sentSaved
}

// Defaults for the per-account limits.
const (
	DefaultInlineAttachmentMax = 1 << 20
	DefaultMaxRecipients       = 50
	DefaultMaxMessageBytes     = 25 << 20
	DefaultSendsPerHour        = 20
	DefaultSendsPerDay         = 100
	DefaultNewRecipientsPerDay = 20
	DefaultIndexMaxBytes       = 2 << 30
)

// SendCaps returns the sending caps with defaults applied (0 = no limit).
func (a *Account) SendCaps() (perHour, perDay, newPerDay int) {
	get := func(p *int, def int) int {
		if p == nil {
			return def
		}
		return *p
	}
	return get(a.MaxSendsPerHour, DefaultSendsPerHour), get(a.MaxSendsPerDay, DefaultSendsPerDay),
		get(a.MaxNewRecipientsPerDay, DefaultNewRecipientsPerDay)
}

// IndexPath is the account's index database under stateDir.
func (a *Account) IndexPath(stateDir string) string {
	return filepath.Join(stateDir, "index", a.ID+".db")
}

// DefaultPath is where the configuration file is looked for.
func DefaultPath() string {
	if p := os.Getenv("MAILMCP_CONFIG"); p != "" {
		return p
	}
	return filepath.Join(xdgDir("XDG_CONFIG_HOME", ".config"), "mailmcp", "config.toml")
}

// DefaultStateDir is where state lives when nothing says otherwise.
func DefaultStateDir() string {
	if p := os.Getenv("MAILMCP_STATE_DIR"); p != "" {
		return p
	}
	return filepath.Join(xdgDir("XDG_STATE_HOME", filepath.Join(".local", "state")), "mailmcp")
}

func xdgDir(env, fallback string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		home = "."
	}
	return filepath.Join(home, fallback)
}

// Account returns the account with the given id, or nil.
func (c *Config) Account(id string) *Account {
	for i := range c.Accounts {
		if c.Accounts[i].ID == id {
			return &c.Accounts[i]
		}
	}
	return nil
}

// AccountReadOnly reports whether a must not be written to: read_only on
// the account or for the whole configuration (which --read-only sets). Every
// view of an account reads this one value.
func (c *Config) AccountReadOnly(a *Account) bool { return c.ReadOnly || a.ReadOnly }

// AccountIDs lists the configured account ids in order.
func (c *Config) AccountIDs() []string {
	ids := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		ids[i] = a.ID
	}
	return ids
}
