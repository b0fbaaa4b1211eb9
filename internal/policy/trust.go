package policy

import (
	"strings"

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
	// DisplayNameMismatch: the display name shows an address other than
	// the sender's ("support@bank.com" <x@evil.example>).
	DisplayNameMismatch bool `json:"display_name_mismatch,omitempty"`
	// NewSender: the account has never corresponded with this address.
	NewSender bool `json:"new_sender,omitempty"`
	// LookalikeOf names a known correspondent's domain that the sender's
	// domain imitates (homoglyphs or a one- or two-letter difference).
	LookalikeOf string `json:"lookalike_of,omitempty"`
	// Warnings are the signals above in words, for the text rendering.
	Warnings []string `json:"warnings,omitempty"`
}

// TrustInput is what Assess needs besides the parsed message.
type TrustInput struct {
	// ProviderAuthServIDs are the authserv-ids (or suffixes like
	// ".google.com") the account's provider uses; empty: trust only the
	// topmost Authentication-Results header.
	ProviderAuthServIDs []string
	// Known reports whether an address (normalised) is a known
	// correspondent; nil: unknown (no NewSender signal).
	Known func(addr string) bool
	// KnownDomains are domains of known correspondents and the account's
	// own domain, for the lookalike check.
	KnownDomains []string
}

// Assess computes the trust signals of a received message.
func Assess(m *parse.Message, from string, in TrustInput) Trust {
	var t Trust
	if ar, ok := providerAuth(m.Auth, in.ProviderAuthServIDs); ok {
		t.SPF, t.DKIM, t.DMARC, t.VerifiedBy = ar.SPF, ar.DKIM, ar.DMARC, ar.AuthServID
		if ar.DMARC == "fail" || (ar.DMARC == "" && ar.SPF != "pass" && ar.DKIM != "pass") {
			t.Warnings = append(t.Warnings, "the sender's domain did not authenticate this message ("+verdicts(ar)+")")
		}
	} else {
		t.Unverified = true
	}
	addr, name, err := parseNorm(from)
	if err != nil {
		return t
	}
	if shown := addressInName(name); shown != "" && shown != addr {
		t.DisplayNameMismatch = true
		t.Warnings = append(t.Warnings, "the display name shows "+shown+" but the message is from "+addr)
	}
	if in.Known != nil && !in.Known(addr) {
		t.NewSender = true
		t.Warnings = append(t.Warnings, "first message from "+addr+": the account has never corresponded with this address")
	}
	_, domain := sendrule.SplitAddr(addr)
	if like := Lookalike(domain, in.KnownDomains); like != "" {
		t.LookalikeOf = like
		t.Warnings = append(t.Warnings, "the sender's domain "+domain+" looks like "+like+", a domain you correspond with")
	}
	return t
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

// providerAuth picks the Authentication-Results header to believe: one
// whose authserv-id the provider uses, else (no provider ids known) the
// topmost, which the receiving server prepended last.
func providerAuth(all []parse.AuthResult, ids []string) (parse.AuthResult, bool) {
	if len(all) == 0 {
		return parse.AuthResult{}, false
	}
	if len(ids) == 0 {
		return all[0], true
	}
	for _, ar := range all {
		for _, id := range ids {
			id = strings.ToLower(id)
			if ar.AuthServID == id || (strings.HasPrefix(id, ".") && strings.HasSuffix(ar.AuthServID, id)) {
				return ar, true
			}
		}
	}
	return parse.AuthResult{}, false
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
