package config

import (
	"os"
	"path/filepath"
	"strings"
)

// preset is what a provider name fills in when the account leaves it out.
type preset struct {
	imap, smtp Server
	pop3       Server // zero: the provider offers no POP3
	// sentSaved: the provider files a copy of submitted mail in Sent itself,
	// so mailmcp must not APPEND a second one.
	sentSaved bool
	// maxConns is what the provider tolerates per account for our pool.
	maxConns int
	auth     AuthKind
}

// Provider is a provider preset, the account's `provider`. Load rejects a
// name that is not one of the constants below.
type Provider string

// Provider presets.
const (
	ProviderGmail    Provider = "gmail"
	ProviderOutlook  Provider = "outlook" // Microsoft 365 and Outlook.com
	ProviderYahoo    Provider = "yahoo"
	ProviderICloud   Provider = "icloud"
	ProviderFastmail Provider = "fastmail"
	ProviderZoho     Provider = "zoho"
	ProviderGeneric  Provider = "generic" // any other server: hosts and ports from the account
)

// providers are the presets in the order ProviderNames lists them.
var providers = []Provider{ProviderGmail, ProviderOutlook, ProviderYahoo, ProviderICloud, ProviderFastmail, ProviderZoho, ProviderGeneric}

// Valid reports whether p is one of the presets.
func (p Provider) Valid() bool {
	_, ok := presets[p]
	return ok
}

// presets are what each provider fills in.
var presets = map[Provider]preset{
	ProviderGmail: {
		imap: Server{Host: "imap.gmail.com", Port: 993, TLS: TLSImplicit},
		smtp: Server{Host: "smtp.gmail.com", Port: 465, TLS: TLSImplicit},
		pop3: Server{Host: "pop.gmail.com", Port: 995, TLS: TLSImplicit},
		// Gmail allows ~15 simultaneous IMAP connections per account.
		sentSaved: true, maxConns: 5,
	},
	ProviderOutlook: {
		imap: Server{Host: "outlook.office365.com", Port: 993, TLS: TLSImplicit},
		smtp: Server{Host: "smtp.office365.com", Port: 587, TLS: TLSStartTLS},
		pop3: Server{Host: "outlook.office365.com", Port: 995, TLS: TLSImplicit},
		// Basic auth is disabled for Microsoft 365: OAuth is the only way in.
		sentSaved: true, maxConns: 3, auth: AuthOAuth2,
	},
	ProviderYahoo: {
		imap:     Server{Host: "imap.mail.yahoo.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.mail.yahoo.com", Port: 465, TLS: TLSImplicit},
		pop3:     Server{Host: "pop.mail.yahoo.com", Port: 995, TLS: TLSImplicit},
		maxConns: 3,
	},
	ProviderICloud: {
		imap:     Server{Host: "imap.mail.me.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.mail.me.com", Port: 587, TLS: TLSStartTLS},
		maxConns: 3,
	},
	ProviderFastmail: {
		imap:     Server{Host: "imap.fastmail.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.fastmail.com", Port: 465, TLS: TLSImplicit},
		pop3:     Server{Host: "pop.fastmail.com", Port: 995, TLS: TLSImplicit},
		maxConns: 3,
	},
	ProviderZoho: {
		imap:     Server{Host: "imap.zoho.com", Port: 993, TLS: TLSImplicit},
		smtp:     Server{Host: "smtp.zoho.com", Port: 465, TLS: TLSImplicit},
		pop3:     Server{Host: "pop.zoho.com", Port: 995, TLS: TLSImplicit},
		maxConns: 3,
	},
	ProviderGeneric: {maxConns: 3},
}

// ProviderNames lists the accepted provider presets.
func ProviderNames() []string {
	names := make([]string, len(providers))
	for i, p := range providers {
		names[i] = string(p)
	}
	return names
}

func presetFor(p Provider) preset {
	if ps, ok := presets[p]; ok {
		return ps
	}
	return presets[ProviderGeneric]
}

// applyDefaults fills what the account left empty from its preset.
func (a *Account) applyDefaults() {
	if a.Provider == "" {
		a.Provider = ProviderGeneric
	}
	p := presetFor(a.Provider)
	if a.Protocol == "" {
		a.Protocol = ProtocolIMAP
	}
	if a.Protocol == ProtocolPOP3 {
		fillServer(&a.POP3, p.pop3, 995, 110)
	} else {
		fillServer(&a.IMAP, p.imap, 993, 143)
	}
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
