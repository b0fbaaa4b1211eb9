package popbox

import (
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// session serves the in-memory INBOX read-only but for \Seen, and mends
// imapmemserver's IDLE (see internal/demo: an update between IDLE and the
// tracker's registration is lost), by polling while idle.
type session struct {
	imapserver.SessionIMAP4rev2
}

func refuse(what string) error {
	return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeCannot,
		Text: "this is a POP3 account: " + what}
}

var (
	errFolders = refuse("it has one folder, INBOX; folders cannot be created, renamed or deleted")
	errWrite   = refuse("messages cannot be moved, copied, added or deleted here (deleting from the server follows pop3_delete_after_days)")
	errFlags   = refuse("only the seen flag can be set, and it is kept by mailmcp, not by the POP3 server")
)

func (s session) Create(string, *imap.CreateOptions) error              { return errFolders }
func (s session) Delete(string) error                                   { return errFolders }
func (s session) Rename(string, string, *imap.RenameOptions) error      { return errFolders }
func (s session) Copy(imap.NumSet, string) (*imap.CopyData, error)      { return nil, errWrite }
func (s session) Expunge(*imapserver.ExpungeWriter, *imap.UIDSet) error { return errWrite }

func (s session) Append(string, imap.LiteralReader, *imap.AppendOptions) (*imap.AppendData, error) {
	return nil, errWrite
}

// Store allows \Seen only.
func (s session) Store(w *imapserver.FetchWriter, numSet imap.NumSet, flags *imap.StoreFlags, options *imap.StoreOptions) error {
	for _, f := range flags.Flags {
		if f != imap.FlagSeen {
			return errFlags
		}
	}
	return s.SessionIMAP4rev2.Store(w, numSet, flags, options)
}

// Idle polls the mailbox while idle: nothing appended can be missed.
func (s session) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		if err := s.Poll(w, true); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-t.C:
		}
	}
}
