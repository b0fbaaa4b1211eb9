package demo

import (
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
)

// idlePoll is how often an idling demo client's mailbox is checked.
const idlePoll = 100 * time.Millisecond

// demoSession mends two imapmemserver faults a client would see.
//
// IDLE: imapmemserver's loses an update that lands between the IDLE command
// and its tracker registration (the update stays queued until the next one
// arrives). Polling the mailbox while idle cannot miss anything; 100 ms of
// latency is nothing for a demo.
//
// MOVE: imapmemserver's writes each moved message's EXPUNGE and also queues
// it for every session including the mover's own, so the poll that ends the
// command reports it a second time and the client's message count drops
// twice. Move here is COPY, STORE \Deleted and UID EXPUNGE of the copied
// UIDs (RFC 6851 section 3.3's equivalent), whose expunges are only queued
// and so reported once, by that poll, after the COPYUID response as RFC 6851
// requires.
type demoSession struct {
	imapserver.SessionIMAP4rev2
}

// Idle implements imapserver.Session.
func (s demoSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
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

// Move implements imapserver.SessionMove.
func (s demoSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	data, err := s.Copy(numSet, dest)
	if err != nil {
		return err
	}
	uids := data.SourceUIDs
	if err := w.WriteCopyData(data); err != nil {
		return err
	}
	if len(uids) == 0 {
		return nil
	}
	// Silent: the store writes nothing, so it needs no FetchWriter, and the
	// memory server's Expunge only queues, so it needs no ExpungeWriter.
	deleted := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := s.Store(nil, uids, deleted, nil); err != nil {
		return err
	}
	return s.Expunge(nil, &uids)
}
