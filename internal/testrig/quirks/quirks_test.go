package quirks_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/mailmcp/mailmcp/internal/testrig"
	"github.com/mailmcp/mailmcp/internal/testrig/quirks"
)

func TestMain(m *testing.M) { testrig.Main(m) }

func dial(t *testing.T, p quirks.Profile) (*imapclient.Client, testrig.User) {
	t.Helper()
	s := testrig.Require(t)
	px, err := quirks.Start(s.IMAPAddr(), p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { px.Close() })
	u, err := s.AddUser(t.Name(), "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := imapclient.DialInsecure(px.Addr(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(u.Username, u.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	return c, u
}

func list(t *testing.T, c *imapclient.Client) map[string][]imap.MailboxAttr {
	t.Helper()
	data, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatalf("LIST: %v", err)
	}
	out := map[string][]imap.MailboxAttr{}
	for _, d := range data {
		out[d.Mailbox] = d.Attrs
	}
	return out
}

func appendMsg(t *testing.T, c *imapclient.Client, mbox, subject string) {
	t.Helper()
	raw := "From: a@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + strings.ReplaceAll(subject, " ", ".") + "@q>\r\n\r\nbody\r\n"
	cmd := c.Append(mbox, int64(len(raw)), nil)
	cmd.Write([]byte(raw))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("APPEND %s: %v", mbox, err)
	}
}

func count(t *testing.T, c *imapclient.Client, mbox string) uint32 {
	t.Helper()
	st, err := c.Status(mbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("STATUS %s: %v", mbox, err)
	}
	return *st.NumMessages
}

// TestGmailFolders: Google's documented LIST, capabilities, and All Mail
// holding what INBOX holds until it is trashed.
func TestGmailFolders(t *testing.T) {
	c, _ := dial(t, quirks.Gmail)
	if !c.Caps().Has("X-GM-EXT-1") || c.Caps().Has(imap.CapSort) || c.Caps().Has(imap.CapQResync) {
		t.Errorf("capabilities: %v", c.Caps())
	}
	got := list(t, c)
	want := map[string]imap.MailboxAttr{"[Gmail]/All Mail": imap.MailboxAttrAll, "[Gmail]/Sent Mail": imap.MailboxAttrSent,
		"[Gmail]/Drafts": imap.MailboxAttrDrafts, "[Gmail]/Spam": imap.MailboxAttrJunk, "[Gmail]/Trash": imap.MailboxAttrTrash,
		"[Gmail]/Starred": imap.MailboxAttrFlagged, "[Gmail]": imap.MailboxAttrNoSelect}
	for name, attr := range want {
		if !slices.Contains(got[name], attr) {
			t.Errorf("LIST: %q attrs %v, want %s (all: %v)", name, got[name], attr, got)
		}
	}
	for _, gone := range []string{"Sent", "Drafts", "Trash", "Junk", "Archive", "QuirkShadow"} {
		if _, ok := got[gone]; ok {
			t.Errorf("LIST shows the rig's %q: %v", gone, got)
		}
	}
	if _, err := c.Select("Sent", nil).Wait(); err == nil {
		t.Errorf("SELECT Sent (the rig's name) worked; Gmail has no such folder")
	}
	appendMsg(t, c, "INBOX", "one")
	if n := count(t, c, "[Gmail]/All Mail"); n != 1 {
		t.Errorf("All Mail has %d messages after one delivery to INBOX", n)
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(1), "[Gmail]/Trash").Wait(); err != nil {
		t.Fatalf("MOVE to [Gmail]/Trash: %v", err)
	}
	if n := count(t, c, "[Gmail]/All Mail"); n != 0 {
		t.Errorf("All Mail has %d messages after the only one was trashed", n)
	}
	if n := count(t, c, "[Gmail]/Trash"); n != 1 {
		t.Errorf("Trash has %d", n)
	}
	// Nested names and RENAME through the mapping.
	if err := c.Create("[Gmail]/Trash/x", nil).Wait(); err != nil {
		t.Errorf("CREATE under [Gmail]/Trash: %v", err)
	}
	if err := c.Create("Projects", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Rename("Projects", "Work", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	got = list(t, c)
	if _, ok := got["Work"]; !ok {
		t.Errorf("after RENAME: %v", got)
	}
	if _, ok := got["[Gmail]/Trash/x"]; !ok {
		t.Errorf("after CREATE [Gmail]/Trash/x: %v", got)
	}
	// A pattern in the provider's names.
	data, err := c.List("", "[Gmail]/%", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 6 {
		var n []string
		for _, d := range data {
			n = append(n, d.Mailbox)
		}
		t.Errorf("LIST \"\" \"[Gmail]/%%\": %v", n)
	}
}

// TestOutlookFolders: Exchange's names with their attributes, no
// CONDSTORE.
func TestOutlookFolders(t *testing.T) {
	c, _ := dial(t, quirks.Outlook)
	if c.Caps().Has(imap.CapCondStore) || c.Caps().Has(imap.CapSpecialUse) || !c.Caps().Has(imap.CapMove) {
		t.Errorf("capabilities: %v", c.Caps())
	}
	got := list(t, c)
	if !slices.Contains(got["Sent Items"], imap.MailboxAttrSent) || !slices.Contains(got["Deleted Items"], imap.MailboxAttrTrash) ||
		!slices.Contains(got["Junk Email"], imap.MailboxAttrJunk) || len(got["Archive"]) > 1 {
		t.Errorf("LIST: %v", got)
	}
	appendMsg(t, c, "Sent Items", "s")
	if n := count(t, c, "Sent Items"); n != 1 {
		t.Errorf("Sent Items: %d", n)
	}
}

// TestYahooFolders: no special-use attributes, no IDLE.
func TestYahooFolders(t *testing.T) {
	c, _ := dial(t, quirks.Yahoo)
	if c.Caps().Has(imap.CapIdle) || c.Caps().Has(imap.CapMove) {
		t.Errorf("capabilities: %v", c.Caps())
	}
	got := list(t, c)
	for _, n := range []string{"Bulk Mail", "Draft", "Sent", "Trash"} {
		if _, ok := got[n]; !ok {
			t.Errorf("LIST lacks %q: %v", n, got)
		}
		for _, a := range got[n] {
			if a != imap.MailboxAttrHasNoChildren && a != imap.MailboxAttrHasChildren {
				t.Errorf("%q has attribute %s", n, a)
			}
		}
	}
}
