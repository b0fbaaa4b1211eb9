package demo

import (
	"time"

	"github.com/emersion/go-imap/v2/imapserver"
)

// idlePoll is how often an idling demo client's mailbox is checked.
const idlePoll = 100 * time.Millisecond

// idleSession replaces imapmemserver's IDLE, which loses an update that
// lands between the IDLE command and its tracker registration (the update
// stays queued until the next one arrives). Polling the mailbox while idle
// cannot miss anything; 100 ms of latency is nothing for a demo.
type idleSession struct {
	imapserver.SessionIMAP4rev2
}

// Idle implements imapserver.Session.
func (s idleSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	t := time.NewTicker(idlePoll)
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
