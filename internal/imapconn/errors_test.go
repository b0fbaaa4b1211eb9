package imapconn_test

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// TestLocalFailureIsNotConnectionLost: a writer that fails with a real
// ENOSPC (/dev/full) while an attachment streams into it is reported as
// local_error with the cause reachable, never as a dropped connection, and
// the pool keeps working afterwards.
func TestLocalFailureIsNotConnectionLost(t *testing.T) { eachBackend(t, testLocalFailure) }

func testLocalFailure(t *testing.T, b *backend) {
	ctx := context.Background()
	b.add(t, "INBOX", withAttachment("full disk", make([]byte, 256<<10)))
	p := b.pool(t, b.addr, nil)
	ref := firstID(t, p, "INBOX")
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full here: ", err)
	}
	defer full.Close()

	_, err = p.FetchPart(ctx, ref, "2", 1<<20, full)
	if fault.KindOf(err) != fault.Local || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("FetchPart into a full disk: kind %s, err %v; want local_error wrapping ENOSPC", fault.KindOf(err), err)
	}
	if strings.Contains(err.Error(), "connection") {
		t.Errorf("a local failure talks of the connection: %v", err)
	}
	err = p.FetchRaw(ctx, ref, false, func(_ imapconn.MessageMeta, r io.Reader) error {
		_, err := io.Copy(full, r)
		return err
	})
	if fault.KindOf(err) != fault.Local || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("FetchRaw callback failing with ENOSPC: kind %s, err %v", fault.KindOf(err), err)
	}
	if fault.IsRetryable(err) {
		t.Error("a full disk is reported as retryable")
	}
	// The connection was in sync all along: the next call works.
	if _, err := p.FetchPart(ctx, ref, "2", 1<<20, io.Discard); err != nil {
		t.Fatalf("after a local failure: %v", err)
	}
}

// TestServerRefusalKeepsIMAPError: a real NO from the server stays
// reachable as *imap.Error beneath the classified error.
func TestServerRefusalKeepsIMAPError(t *testing.T) { eachBackend(t, testServerRefusal) }

func testServerRefusal(t *testing.T, b *backend) {
	p := b.pool(t, b.addr, nil)
	_, err := p.Append(context.Background(), "No Such Folder", nil, time.Time{}, []byte("Subject: x\r\n\r\nx\r\n"))
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Type != imap.StatusResponseTypeNo {
		t.Fatalf("append to a missing folder: %v; want the server's NO reachable as *imap.Error", err)
	}
	if fault.KindOf(err) != fault.NotFound {
		t.Errorf("kind %s, want not_found", fault.KindOf(err))
	}
}
