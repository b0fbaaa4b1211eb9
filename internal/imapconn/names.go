package imapconn

import (
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// AgentDelimiter separates folder levels in every folder name mailmcp
// shows or accepts, whatever the server uses.
const AgentDelimiter = "/"

// names maps folder names between the agent's form ("Projects/Alpha",
// "Sent") and the server's ("INBOX.Projects.Alpha", "INBOX.Sent" on a
// Cyrus with NAMESPACE (("INBOX." ".")); "Projects.Alpha" on maddy, whose
// delimiter is "." and which has no NAMESPACE). Every name inside mailmcp,
// message ids included, is in the agent's form; a Conn turns it into the
// server's only on the wire.
type names struct {
	prefix string   // personal namespace prefix, e.g. "INBOX." ("" on most servers)
	delim  rune     // the server's hierarchy delimiter (0: flat)
	others []string // prefixes of the other and shared namespaces, kept as they are
}

// readNames asks the server once per connection: NAMESPACE (RFC 2342)
// when it has it, else LIST "" "" for the delimiter alone (RFC 3501 6.3.8).
func readNames(c *imapclient.Client, caps imap.CapSet) (names, error) {
	var n names
	if caps.Has(imap.CapNamespace) || caps.Has(imap.CapIMAP4rev2) {
		ns, err := c.Namespace().Wait()
		if err != nil {
			return n, fmt.Errorf("namespace: %w", err)
		}
		if len(ns.Personal) > 0 {
			n.prefix, n.delim = ns.Personal[0].Prefix, ns.Personal[0].Delim
		}
		for _, d := range append(append([]imap.NamespaceDescriptor(nil), ns.Other...), ns.Shared...) {
			if d.Prefix != "" {
				n.others = append(n.others, d.Prefix)
			}
		}
		if n.delim != 0 || len(ns.Personal) > 0 {
			return n, nil
		}
	}
	data, err := c.List("", "", nil).Collect()
	if err != nil {
		return n, fmt.Errorf("list delimiter: %w", err)
	}
	if len(data) > 0 {
		n.delim = data[0].Delim
	}
	return n, nil
}

func isInbox(name string) bool { return strings.EqualFold(name, "INBOX") }

// toAgent turns a server mailbox name into the agent's form: the personal
// prefix dropped, levels separated by "/".
func (n names) toAgent(server string) string {
	if isInbox(server) {
		return "INBOX"
	}
	name := server
	if n.prefix != "" && len(name) > len(n.prefix) && strings.EqualFold(name[:len(n.prefix)], n.prefix) {
		name = name[len(n.prefix):]
	}
	if n.delim != 0 && string(n.delim) != AgentDelimiter {
		name = strings.ReplaceAll(name, string(n.delim), AgentDelimiter)
	}
	return name
}

// toServer turns an agent's folder name into the server's: "/" becomes
// the server's delimiter and the personal prefix is added unless the name
// already has it or belongs to another namespace. A name already in the
// server's form (from an older message id) stays as it is.
func (n names) toServer(agent string) string {
	if isInbox(agent) {
		return "INBOX"
	}
	name := agent
	if n.delim != 0 && string(n.delim) != AgentDelimiter {
		name = strings.ReplaceAll(name, AgentDelimiter, string(n.delim))
	}
	if n.prefix == "" || hasPrefixFold(name, n.prefix) {
		return name
	}
	for _, o := range n.others {
		if hasPrefixFold(name, o) {
			return name
		}
	}
	return n.prefix + name
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// checkLevels refuses a level that contains the server's delimiter: on a
// server whose delimiter is ".", "v1.2" would silently become two levels.
func (n names) checkLevels(op, name string) error {
	if n.delim == 0 || string(n.delim) == AgentDelimiter {
		return nil
	}
	if strings.ContainsRune(name, n.delim) {
		return &fault.Error{Kind: fault.Invalid, Op: op,
			Err:  fmt.Errorf("%s: folder name %q contains %q, which separates folder levels on this server", op, truncate(name, 80), string(n.delim)),
			Hint: "Leave it out of the name; use / to make a subfolder"}
	}
	return nil
}

// ServerName is the server's name for an agent's folder name on this
// connection.
func (c *Conn) ServerName(agent string) string { return c.names.toServer(agent) }

// AgentName is the agent's name for a mailbox the server named.
func (c *Conn) AgentName(server string) string { return c.names.toAgent(server) }
