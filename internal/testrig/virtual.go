package testrig

import (
	"fmt"
	"os"
	"path/filepath"
)

// VirtualPrefix is the rig Dovecot's hidden namespace of virtual mailboxes
// (Dovecot's virtual plugin, https://doc.dovecot.org/2.3/configuration_manual/virtual_plugin/).
// It is neither listed nor announced in NAMESPACE: a client reaches its
// mailboxes only by name. internal/testrig/quirks shows them as Gmail's
// "[Gmail]/All Mail" and "[Gmail]/Starred".
const VirtualPrefix = "RigVirtual/"

// The virtual mailboxes of every rig user.
const (
	// VirtualAll holds every message outside Trash and Junk, as Gmail's
	// All Mail does.
	VirtualAll = VirtualPrefix + "All"
	// VirtualFlagged holds every \Flagged message outside Trash and Junk,
	// as Gmail's Starred does.
	VirtualFlagged = VirtualPrefix + "Flagged"
)

// virtualDefs are the dovecot-virtual files: mailbox patterns ("-" excludes),
// then an indented search query.
var virtualDefs = map[string]string{
	"All":     "*\n-Trash\n-Trash/*\n-Junk\n-Junk/*\n-" + VirtualPrefix + "*\n  all\n",
	"Flagged": "*\n-Trash\n-Trash/*\n-Junk\n-Junk/*\n-" + VirtualPrefix + "*\n  flagged\n",
}

// writeVirtual writes the virtual mailbox definitions below dir.
func writeVirtual(dir string) error {
	for name, def := range virtualDefs {
		d := filepath.Join(dir, name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("virtual mailbox %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(d, "dovecot-virtual"), []byte(def), 0o644); err != nil {
			return fmt.Errorf("virtual mailbox %s: %w", name, err)
		}
	}
	return nil
}
