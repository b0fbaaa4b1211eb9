package policy

import (
	"strconv"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"github.com/mailmcp/mailmcp/internal/present"

	"github.com/mailmcp/mailmcp/internal/sendrule"
	"github.com/mailmcp/mailmcp/parse"
)

// Trust is what the server can tell an agent about who really sent a
// message. Every field is a signal for caution, not proof.
type Trust struct {
	// Verdicts from the Authentication-Results header added by the
	// account's own provider (the topmost one, or one whose authserv-id
	// matches the provider); headers further down may be forged by the
	// sender and are ignored.
	SPF        string `json:"spf,omitempty"`
	DKIM       string `json:"dkim,omitempty"`
	DMARC      string `json:"dmarc,omitempty"`
	VerifiedBy string `json:"verified_by,omitempty"`
	Unverified bool   `json:"unverified,omitempty"`
	// UnverifiedWhy says why no Authentication-Results header was believed.
	UnverifiedWhy string `json:"unverified_why,omitempty"`
	// DisplayNameMismatch: the display name shows an address or a domain
	// other than the sender's ("support@bank.com" <x@evil.example>,
	// "corp.com" <x@evil.example>), or names a brand the mail is not
	// from ("PayPal" <x@evil.example>).
	DisplayNameMismatch bool `json:"display_name_mismatch,omitempty"`
	// ReplyToElsewhere: Reply-To names a domain other than From's.
	ReplyToElsewhere bool `json:"reply_to_elsewhere,omitempty"`
	// International: the sender's domain is an internationalised (IDN,
	// punycode) name, where look-alike letters hide.
	International bool `json:"international_domain,omitempty"`
	// NewSender: the account has never corresponded with this address.
	NewSender bool `json:"new_sender,omitempty"`
	// LookalikeOf names the domain the sender's domain imitates: the
	// account's own, a correspondent's or a well-known brand's
	// (homoglyphs, a letter or two off, brand.com.evil.tld).
	LookalikeOf string `json:"lookalike_of,omitempty"`
	// Warnings are the signals above in words, for the text rendering.
	Warnings []string `json:"warnings,omitempty"`
}

// TrustInput is what Assess needs besides the parsed message.
type TrustInput struct {
	// ProviderAuthServIDs are the authserv-ids (or suffixes like
	// ".google.com") the account's provider uses; empty: trust only the
	// topmost Authentication-Results header of the trace block (callers
	// set NoVerdicts instead when nothing identifies the provider).
	ProviderAuthServIDs []string
	// Known reports whether an address (normalised) is a known
	// correspondent; nil: unknown (no NewSender signal).
	Known func(addr string) bool
	// KnownDomains are domains of known correspondents, for the
	// lookalike check.
	KnownDomains []string
	// OwnDomain is the account's own domain (always checked for
	// look-alikes).
	OwnDomain string
	// NoVerdicts, when set, is why no Authentication-Results header can
	// be believed for this message at all (no authserv-id is known for a
	// local IMAP host; the message was saved into Drafts or Sent, not
	// delivered).
	NoVerdicts string
}

// NoAuthServIDs is the reason given when the IMAP host is an IP address or
// localhost and no authserv_ids are configured: every header could have
// been written by the sender.
const NoAuthServIDs = "no trusted authentication results: set authserv_ids for this account (the IMAP host is an IP address or localhost, so no header can be told from one the sender wrote)"

// Assess computes the trust signals of a received message. Every sender
// string quoted in a warning is labelled as the sender's.
func Assess(m *parse.Message, from string, in TrustInput) Trust {
	var t Trust
	var ar parse.AuthResult
	ok := false
	if in.NoVerdicts == "" {
		ar, ok = providerAuth(m, in.ProviderAuthServIDs)
	}
	if ok {
		t.SPF, t.DKIM, t.DMARC, t.VerifiedBy = ar.SPF, ar.DKIM, ar.DMARC, ar.AuthServID
		if ar.DMARC == "fail" || (ar.DMARC == "" && ar.SPF != "pass" && ar.DKIM != "pass") {
			t.Warnings = append(t.Warnings, "the sender's domain did not authenticate this message ("+verdicts(ar)+")")
		}
	} else {
		t.Unverified = true
		t.UnverifiedWhy = in.NoVerdicts
	}
	addr, name, err := parseNorm(from)
	if err != nil {
		return t
	}
	_, domain := sendrule.SplitAddr(addr)
	if shown := addressInName(name); shown != "" && shown != addr {
		t.DisplayNameMismatch = true
		t.Warnings = append(t.Warnings, "the display name shows the address "+senderQuote(shown)+" but the message is from "+senderQuote(addr))
	} else if d := domainInName(name); d != "" && d != domain && !strings.HasSuffix(domain, "."+d) {
		t.DisplayNameMismatch = true
		t.Warnings = append(t.Warnings, "the display name shows the domain "+senderQuote(d)+" but the message is from "+senderQuote(domain))
	} else if b := brandInName(name, domain); b != "" {
		t.DisplayNameMismatch = true
		t.Warnings = append(t.Warnings, "the display name "+senderQuote(name)+" names a brand that sends from "+b+", but the message is from "+senderQuote(domain))
	}
	if in.Known != nil && !in.Known(addr) {
		t.NewSender = true
		t.Warnings = append(t.Warnings, "first message from "+senderQuote(addr)+": the account has never corresponded with this address")
	}
	for _, rt := range m.ReplyTo {
		ra, err := NormAddress(rt.Email)
		if err != nil {
			continue
		}
		if _, rd := sendrule.SplitAddr(ra); rd != "" && registrable(rd) != registrable(domain) {
			t.ReplyToElsewhere = true
			t.Warnings = append(t.Warnings, "replies go to another domain: Reply-To is "+senderQuote(ra)+", From is "+senderQuote(addr))
			break
		}
	}
	if isInternational(domain) {
		t.International = true
		shown := domain
		if u, err := idna.ToUnicode(domain); err == nil && u != domain {
			shown = domain + " (shown as " + u + ")"
		}
		t.Warnings = append(t.Warnings, "the sender's domain "+senderQuote(shown)+" is an internationalised name: its letters may imitate another domain's")
	}
	own := []string{}
	if in.OwnDomain != "" {
		own = append(own, in.OwnDomain)
	}
	switch {
	case Lookalike(domain, own) != "":
		t.LookalikeOf = Lookalike(domain, own)
		t.Warnings = append(t.Warnings, "the sender's domain "+senderQuote(domain)+" looks like "+t.LookalikeOf+", your own domain")
	case brandLookalike(domain) != "":
		t.LookalikeOf = brandLookalike(domain)
		t.Warnings = append(t.Warnings, "the sender's domain "+senderQuote(domain)+" imitates "+t.LookalikeOf+", a well-known brand's domain")
	case Lookalike(domain, in.KnownDomains) != "":
		t.LookalikeOf = Lookalike(domain, in.KnownDomains)
		t.Warnings = append(t.Warnings, "the sender's domain "+senderQuote(domain)+" looks like "+t.LookalikeOf+", a domain you correspond with")
	}
	return t
}

// senderQuote quotes a string that came from the sender, marker
// look-alikes defused, and labels it.
func senderQuote(s string) string {
	return strconv.Quote(present.Defuse(s)) + " (sender-supplied)"
}

// isInternational reports a domain with a punycode label or non-ASCII.
func isInternational(domain string) bool {
	for _, l := range strings.Split(domain, ".") {
		if strings.HasPrefix(l, "xn--") {
			return true
		}
	}
	for _, r := range domain {
		if r >= 0x80 {
			return true
		}
	}
	return false
}

// domainInName returns a domain name shown in a display name ("corp.com"
// in "ceo@corp.com via Mail" is the address case; "corp.com Billing"
// this one): a word with a dot whose last label is an ICANN top-level
// domain (or a reserved test one).
func domainInName(name string) string {
	for _, f := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return r == ' ' || r == '<' || r == '>' || r == '(' || r == ')' || r == '"' || r == '\'' || r == ',' || r == '[' || r == ']' || r == '|' || r == ':'
	}) {
		f = strings.Trim(f, ".")
		if !strings.Contains(f, ".") || strings.Contains(f, "@") {
			continue
		}
		labels := strings.Split(f, ".")
		tld := labels[len(labels)-1]
		if strings.Contains(f, "..") || len(labels[0]) < 2 || len(tld) < 2 || strings.ContainsFunc(tld, func(r rune) bool { return r < 'a' || r > 'z' }) {
			continue
		}
		if _, icann := publicsuffix.PublicSuffix(f); icann || tld == "example" || tld == "test" {
			return f
		}
	}
	return ""
}

func verdicts(ar parse.AuthResult) string {
	var v []string
	for _, kv := range [][2]string{{"spf", ar.SPF}, {"dkim", ar.DKIM}, {"dmarc", ar.DMARC}} {
		if kv[1] != "" {
			v = append(v, kv[0]+"="+kv[1])
		}
	}
	if len(v) == 0 {
		return "no verdicts"
	}
	return strings.Join(v, " ")
}

// providerAuth picks the Authentication-Results header to believe: the
// first one, in the block of trace fields the receiving side prepended
// above the sender's own headers, whose authserv-id the provider uses
// (with no provider ids known, the topmost header of that block). A header
// below the first field a sender writes (From, Subject, DKIM-Signature, …)
// is never a verdict: it came with the message.
func providerAuth(m *parse.Message, ids []string) (parse.AuthResult, bool) {
	end := traceEnd(m.AllHeaders())
	for _, ar := range m.Auth {
		if ar.Field >= end {
			break
		}
		if len(ids) == 0 {
			return ar, true
		}
		for _, id := range ids {
			id = strings.ToLower(id)
			if ar.AuthServID == id || (strings.HasPrefix(id, ".") && strings.HasSuffix(ar.AuthServID, id)) {
				return ar, true
			}
		}
	}
	return parse.AuthResult{}, false
}

// traceEnd is the index of the first header field that is not a trace
// field a receiving server adds (Received, Return-Path, Delivered-To,
// Authentication-Results, ARC-*, X-*, …): where the sender's headers begin.
func traceEnd(hs []parse.Header) int {
	for i, h := range hs {
		n := strings.ToLower(h.Name)
		switch {
		case n == "received", n == "return-path", n == "delivered-to", n == "x-original-to", n == "envelope-to",
			n == "received-spf", n == "authentication-results", strings.HasPrefix(n, "arc-"), strings.HasPrefix(n, "x-"):
		default:
			return i
		}
	}
	return len(hs)
}

// ProviderAuthServIDs are the authserv-ids big providers stamp.
func ProviderAuthServIDs(provider string) []string {
	switch provider {
	case "gmail":
		return []string{"mx.google.com", ".google.com"}
	case "outlook":
		return []string{".outlook.com", ".protection.outlook.com", "spf.protection.outlook.com"}
	case "yahoo":
		return []string{".yahoo.com", "atlas.yahoo.com"}
	case "icloud":
		return []string{".icloud.com", ".me.com"}
	case "fastmail":
		return []string{".messagingengine.com"}
	case "zoho":
		return []string{"mx.zohomail.com", ".zoho.com", ".zohomail.com"}
	}
	return nil
}

// addressInName returns an address shown inside a display name, if any.
func addressInName(name string) string {
	for _, f := range strings.FieldsFunc(name, func(r rune) bool {
		return r == ' ' || r == '<' || r == '>' || r == '(' || r == ')' || r == '"' || r == '\'' || r == ','
	}) {
		if strings.Count(f, "@") == 1 && strings.Contains(f[strings.IndexByte(f, '@'):], ".") {
			if n, err := NormAddress(f); err == nil {
				return n
			}
		}
	}
	return ""
}
