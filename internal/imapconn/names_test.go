package imapconn

import "testing"

func TestNamesMapping(t *testing.T) {
	cyrus := names{prefix: "INBOX.", delim: '.', others: []string{"user.", "shared."}}
	maddy := names{delim: '.'}
	dovecot := names{delim: '/'}
	for _, tc := range []struct {
		n             names
		server, agent string
	}{
		{cyrus, "INBOX", "INBOX"},
		{cyrus, "INBOX.Sent", "Sent"},
		{cyrus, "INBOX.Projects.Alpha", "Projects/Alpha"},
		{maddy, "Projects.Alpha", "Projects/Alpha"},
		{maddy, "Sent", "Sent"},
		{dovecot, "Projects/Alpha", "Projects/Alpha"},
		{names{}, "Flat/Name", "Flat/Name"},
	} {
		if got := tc.n.toAgent(tc.server); got != tc.agent {
			t.Errorf("%+v toAgent(%q) = %q, want %q", tc.n, tc.server, got, tc.agent)
		}
		if got := tc.n.toServer(tc.agent); got != tc.server {
			t.Errorf("%+v toServer(%q) = %q, want %q", tc.n, tc.agent, got, tc.server)
		}
	}
	// Names already in the server's form (older message ids) and names in
	// another namespace pass through.
	for in, want := range map[string]string{"INBOX.Sent": "INBOX.Sent", "inbox": "INBOX", "user.bob.Sent": "user.bob.Sent"} {
		if got := cyrus.toServer(in); got != want {
			t.Errorf("cyrus toServer(%q) = %q, want %q", in, got, want)
		}
	}
	if err := maddy.checkLevels("create folder", "v1.2"); err == nil {
		t.Error(`maddy: "v1.2" accepted although "." separates levels there`)
	}
	if err := dovecot.checkLevels("create folder", "v1.2"); err != nil {
		t.Errorf("dovecot: %v", err)
	}
}
