package watch

import (
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// TestErrorsCarryKinds: the watcher's failures are *fault.Error values with
// the kind an agent can act on, not bare text (a missing folder was
// reported as an unclassified error, so tools called it "internal").
func TestErrorsCarryKinds(t *testing.T) {
	leakCheck(t)
	acct := memAccount(t, nil)
	w := Start(acct, "No such folder", NewFeed(openStore(t, t.TempDir()), FeedOptions{}), fastOptions())
	defer w.Close()
	var err error
	for deadline := time.Now().Add(10 * time.Second); err == nil && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		err = w.Err()
	}
	if k := fault.KindOf(err); k != fault.NotFound {
		t.Errorf("watching a missing folder: kind %s (%v), want %s", k, err, fault.NotFound)
	}

	h := NewHub(NewFeed(openStore(t, t.TempDir()), FeedOptions{}), nil, HubOptions{})
	defer h.Close()
	if _, _, err := h.Acquire("nobody", "INBOX"); fault.KindOf(err) != fault.NotFound {
		t.Errorf("unknown account: kind %s (%v)", fault.KindOf(err), err)
	}
	h.Close()
	if _, _, err := h.Acquire("nobody", "INBOX"); fault.KindOf(err) != fault.Unavailable {
		t.Errorf("closed hub: kind %s (%v)", fault.KindOf(err), err)
	}
	if _, err := ParseCursor("five"); fault.KindOf(err) != fault.Invalid {
		t.Errorf("bad cursor: kind %s (%v)", fault.KindOf(err), err)
	}
}
