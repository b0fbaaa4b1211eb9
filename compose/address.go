package compose

import (
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address is one mailbox: an optional display name and an addr-spec.
type Address struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// String formats the address for a header (RFC 2047 encoding the name when
// it is not ASCII).
func (a Address) String() string {
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// ParseAddress parses one address such as "Ann <ann@example.org>" or
// "ann@example.org" and normalises it (see NormalizeAddress).
func ParseAddress(s string) (Address, error) {
	if err := checkHeaderValue("address", s); err != nil {
		return Address{}, err
	}
	s = strings.TrimSpace(s)
	pa, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, errf(CodeInvalidAddress, "", "%q is not a valid email address (%v)", clip(s), unwrapMailErr(err))
	}
	return NormalizeAddress(Address{Name: pa.Name, Email: pa.Address})
}

// ParseAddressList parses a comma-separated list of addresses. An empty or
// blank string gives an empty list.
func ParseAddressList(s string) ([]Address, error) {
	if err := checkHeaderValue("address", s); err != nil {
		return nil, err
	}
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	list, err := mail.ParseAddressList(s)
	if err != nil {
		return nil, errf(CodeInvalidAddress, "", "%q is not a valid list of email addresses (%v)", clip(s), unwrapMailErr(err))
	}
	out := make([]Address, 0, len(list))
	for _, pa := range list {
		a, err := NormalizeAddress(Address{Name: pa.Name, Email: pa.Address})
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ParseAddresses parses each string with ParseAddressList (so every element
// may itself hold several comma-separated addresses) and concatenates the
// results; field names the argument in errors.
func ParseAddresses(field string, in []string) ([]Address, error) {
	var out []Address
	for _, s := range in {
		l, err := ParseAddressList(s)
		if err != nil {
			return nil, named(field, err)
		}
		out = append(out, l...)
	}
	return out, nil
}

// NormalizeAddress validates a and returns it with the domain in ASCII
// (IDNA A-labels, lower case) so it can go on the SMTP envelope without
// SMTPUTF8. A non-ASCII local part is kept; it needs SMTPUTF8 (RFC 6531).
func NormalizeAddress(a Address) (Address, error) {
	if err := checkHeaderValue("address", a.Name); err != nil {
		return Address{}, err
	}
	if err := checkHeaderValue("address", a.Email); err != nil {
		return Address{}, err
	}
	a.Name = strings.TrimSpace(a.Name)
	email := strings.TrimSpace(a.Email)
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 {
		return Address{}, errf(CodeInvalidAddress, "", "%q is not a valid email address (want local@domain)", clip(email))
	}
	local, domain := email[:at], email[at+1:]
	if !utf8.ValidString(email) {
		return Address{}, errf(CodeInvalidAddress, "", "%q is not valid UTF-8", clip(email))
	}
	if err := checkLocalPart(email, local); err != nil {
		return Address{}, err
	}
	ad, err := idna.Lookup.ToASCII(strings.TrimSuffix(domain, "."))
	if err != nil || ad == "" || !strings.Contains(ad, ".") && !strings.EqualFold(ad, "localhost") {
		return Address{}, errf(CodeInvalidAddress, "", "%q has an invalid domain %q", clip(email), clip(domain))
	}
	email = local + "@" + strings.ToLower(ad)
	// net/mail checks the local part's syntax (dot-atom or quoted string).
	if _, err := mail.ParseAddress("<" + email + ">"); err != nil {
		return Address{}, errf(CodeInvalidAddress, "", "%q is not a valid email address (%v)", clip(a.Email), unwrapMailErr(err))
	}
	if len(email) > 254 {
		return Address{}, errf(CodeInvalidAddress, "", "%q is longer than 254 characters", clip(email))
	}
	a.Email = email
	return a, nil
}

// checkLocalPart refuses local parts whose real destination is not the
// domain after the last '@'. Mail servers still honour old routing
// syntax: Postfix by default resolves a dequoted local part, so
// "mallory@evil.test"@example.org, mallory%evil.test@example.org (the
// percent hack) and evil.test!mallory@example.org (a UUCP bang path) can
// all leave for evil.test while an allowlist that trusts example.org, or
// a person reading the address, sees example.org. A recipient must be a
// dot-atom (RFC 5322 section 3.4.1) without those operators; source routes
// (RFC 5321 section 4.1.2 "@a,@b:user@c") never parse in net/mail at all.
func checkLocalPart(email, local string) error {
	if i := strings.IndexAny(local, "@%!"); i >= 0 {
		what := map[byte]string{'@': "a second '@' (a quoted local part)", '%': "'%' (the \"percent hack\")", '!': "'!' (a UUCP bang path)"}[local[i]]
		return errf(CodeInvalidAddress, "", "%q is refused: its local part holds %s, a routing operator some mail servers follow to another domain than %q; write the real address instead",
			clip(email), what, email[len(local)+1:])
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return errf(CodeInvalidAddress, "", "%q is refused: a local part needing quotes (leading, trailing or double dots) is not accepted", clip(email))
	}
	for _, r := range local {
		if r < utf8.RuneSelf && !isAtext(byte(r)) && r != '.' {
			return errf(CodeInvalidAddress, "", "%q is refused: its local part holds %q, which only a quoted local part can carry; quoted local parts are not accepted", clip(email), r)
		}
	}
	return nil
}

// isAtext reports an RFC 5322 atext character (section 3.2.3).
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// NeedsSMTPUTF8 reports whether the address has a non-ASCII local part.
func (a Address) NeedsSMTPUTF8() bool { return !isASCII(a.Email) }

// SameMailbox compares two addr-specs: the domain case-insensitively, the
// local part exactly except for ASCII case (which nearly every server ignores).
func SameMailbox(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}

func unwrapMailErr(err error) string {
	return strings.TrimPrefix(err.Error(), "mail: ")
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkHeaderValue refuses CR, LF and NUL, which would let a value start a
// new header line (header injection) or corrupt the message.
func checkHeaderValue(field, v string) error {
	if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
		what := map[byte]string{'\r': "a carriage return (CR)", '\n': "a line feed (LF)", 0: "a NUL byte"}[v[i]]
		return errf(CodeHeaderInjection, field, "contains %s at position %d; header values must be a single line", what, i)
	}
	return nil
}

// clip bounds user input echoed in error messages.
func clip(s string) string {
	if len(s) <= 120 {
		return s
	}
	return strings.ToValidUTF8(s[:120], "") + "…"
}
