package quirks

import (
	"strings"

	"github.com/mailmcp/mailmcp/internal/testrig"
)

// shadow is where a client name that the provider does not have but the
// rig's Dovecot does ("Sent" on Gmail) goes instead: so that it names a
// folder of its own, as it would on the provider, and never the backend
// folder the provider calls something else.
const shadow = "QuirkShadow"

// specialUse are the RFC 6154 attributes (and Gmail's \Important).
var specialUse = map[string]bool{`\ALL`: true, `\ARCHIVE`: true, `\DRAFTS`: true, `\FLAGGED`: true, `\JUNK`: true, `\SENT`: true, `\TRASH`: true, `\IMPORTANT`: true}

func under(name, prefix string) (rest string, ok bool) {
	if name == prefix {
		return "", true
	}
	if strings.HasPrefix(name, prefix+"/") {
		return name[len(prefix):], true
	}
	return "", false
}

func isInbox(name string) bool { return strings.EqualFold(name, "INBOX") }

// toBackend maps a folder name the client sent to the rig's mailbox.
func (p *Profile) toBackend(name string) string {
	if isInbox(name) {
		return name
	}
	for _, f := range p.Folders {
		if rest, ok := under(name, f.Name); ok {
			return f.Backend + rest
		}
	}
	if p.shadowed(name) {
		return shadow + "/" + name
	}
	return name
}

// toBackendDest maps the destination of COPY, MOVE or APPEND: like
// toBackend, except into a folder with a SaveTo.
func (p *Profile) toBackendDest(name string) string {
	for _, f := range p.Folders {
		if f.SaveTo != "" && name == f.Name {
			return f.SaveTo
		}
	}
	return p.toBackend(name)
}

// shadowed says whether name is a rig mailbox the provider does not show
// under that name.
func (p *Profile) shadowed(name string) bool {
	for _, par := range p.Parents {
		if name == par {
			return true
		}
	}
	if _, ok := under(name, shadow); ok {
		return true
	}
	if strings.HasPrefix(name, testrig.VirtualPrefix) || name+"/" == testrig.VirtualPrefix {
		return true
	}
	for _, h := range p.Hidden {
		if _, ok := under(name, h); ok {
			return true
		}
	}
	for _, f := range p.Folders {
		if _, ok := under(name, f.Backend); ok && f.Backend != f.Name {
			return true
		}
	}
	return false
}

// toClient maps a rig mailbox to the provider's name; ok is false for one
// the provider does not show.
func (p *Profile) toClient(name string) (string, *Folder, bool) {
	if isInbox(name) {
		return name, nil, true
	}
	if rest, ok := under(name, shadow); ok {
		if rest == "" {
			return "", nil, false
		}
		return rest[1:], nil, true
	}
	for i, f := range p.Folders {
		if rest, ok := under(name, f.Backend); ok {
			if rest == "" {
				return f.Name, &p.Folders[i], true
			}
			return f.Name + rest, nil, true
		}
	}
	for _, h := range p.Hidden {
		if _, ok := under(name, h); ok {
			return "", nil, false
		}
	}
	return name, nil, true
}

// matchPattern matches an IMAP LIST pattern: "*" anything, "%" anything
// but the delimiter "/".
func matchPattern(pattern, name string) bool {
	if isInbox(name) && strings.EqualFold(pattern, "INBOX") {
		return true
	}
	return globMatch(pattern, name)
}

func globMatch(p, s string) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globMatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '%':
			for i := 0; i <= len(s); i++ {
				if globMatch(p[1:], s[i:]) {
					return true
				}
				if i < len(s) && s[i] == '/' {
					return false
				}
			}
			return false
		default:
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}
