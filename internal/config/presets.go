package config

import (
	"os"
	"path/filepath"
	"strings"
)

// preset is what a provider name fills in when the account leaves it out.
type preset struct {
	imap, smtp Server
	// sentSaved: the provider files a copy of submitted mail in Sent itself,
	// so mailmcp must not APPEND a second one.
	sentSaved bool
	// maxConns is what the provider tolerates per account for our pool.
	maxConns int
	auth     AuthKind
}

// Provider names accepted in `provider`.
var presets = map[string]preset{
	"gmail": {
		imap: Server{Host: "imap.gmail.com", Port: 993, TLS: TLSImplicit},
		smtp: Server{Host: "smtp.gmail.com", Port: 465, TLS: TLSImplicit},
		// Gmail allows ~15 simultaneous IMAP connections per account.
		sentSaved: true, maxConns: 5,
	},
	"outlook": {
		imap: Server{Host: "outlook.office365.com", Port: 993, TLS: TLSImplicit},
		smtp: Server{Host: "smtp.office365.com", Port: 587, TLS: TLSStartTLS},
		// Basic auth is disabled for Microsoft 365: OAuth is the only way in.
		sentSaved: true, maxConns: 3, auth: AuthOAuth2,
	},
	"yahoo": {
		imap:     Server{Host: "imap.mail.yahoo.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.mail.yahoo.com", Port: 465, TLS: TLSImplicit},
		maxConns: 3,
	},
	"icloud": {
		imap:     Server{Host: "imap.mail.me.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.mail.me.com", Port: 587, TLS: TLSStartTLS},
		maxConns: 3,
	},
	"fastmail": {
		imap:     Server{Host: "imap.fastmail.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.fastmail.com", Port: 465, TLS: TLSImplicit},
		maxConns: 3,
	},
	"zoho": {
		imap:     Server{Host: "imap.zoho.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.zoho.com", Port: 465, TLS: TLSImplicit},
		maxConns: 3,
	},
	"generic": {maxConns: 3},
}

// ProviderNames lists the accepted provider presets.
func ProviderNames() []string {
	return []string{"gmail", "outlook", "yahoo", "icloud", "fastmail", "zoho", "generic"}
}

func presetFor(name string) preset {
	if p, ok := presets[name]; ok {
		return p
	}
	return presets["generic"]
}

// applyDefaults fills what the account left empty from its preset.
func (a *Account) applyDefaults() {
	if a.Provider == "" {
		a.Provider = "generic"
	}
	p := presetFor(a.Provider)
	fillServer(&a.IMAP, p.imap, 993, 143)
	fillServer(&a.SMTP, p.smtp, 465, 587)
	if a.Auth == "" {
		a.Auth = AuthPassword
		if p.auth != "" {
			a.Auth = p.auth
		}
	}
	if a.MaxConnections == 0 {
		a.MaxConnections = p.maxConns
	}
	if a.InlineAttachmentMax == 0 {
		a.InlineAttachmentMax = DefaultInlineAttachmentMax
	}
	if a.MaxRecipients == 0 {
		a.MaxRecipients = DefaultMaxRecipients
	}
	if a.MaxMessageBytes == 0 {
		a.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if a.SendPolicy == "" {
		a.SendPolicy = "confirm"
	}
	if a.IndexMaxBytes == 0 {
		a.IndexMaxBytes = DefaultIndexMaxBytes
	}
}

// applyStateDefaults fills what depends on the state directory.
func (a *Account) applyStateDefaults(stateDir string) {
	if a.DownloadDir == "" && a.ID != "" {
		a.DownloadDir = filepath.Join(stateDir, "downloads", a.ID)
	}
	a.DownloadDir = expandHome(a.DownloadDir)
	a.AttachmentDir = expandHome(a.AttachmentDir)
}

// expandHome turns a leading "~/" into the user's home directory.
func expandHome(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	return p
}

// fillServer completes an endpoint: host and TLS from the preset, the port
// from the TLS mode when only the mode is known.
func fillServer(s *Server, p Server, implicitPort, starttlsPort int) {
	if s.Host == "" {
		s.Host = p.Host
	}
	if s.TLS == "" {
		s.TLS = p.TLS
		if s.TLS == "" {
			s.TLS = TLSImplicit
		}
	}
	if s.Port == 0 {
		switch {
		case p.Port != 0 && s.TLS == p.TLS:
			s.Port = p.Port
		case s.TLS == TLSImplicit:
			s.Port = implicitPort
		default:
			s.Port = starttlsPort
		}
	}
}
