package imapconn

import "testing"

func TestStatusMailbox(t *testing.T) {
	for _, c := range []struct {
		line, name string
		ok         bool
	}{
		{"* STATUS \"A b\" (MESSAGES 3 UIDNEXT 4)\r\n", "A b", true},
		{"* STATUS Archive (MESSAGES 1)\r\n", "Archive", true},
		{"* STATUS \"Q\\\"x\" (MESSAGES 1)\r\n", "Q\"x", true},
		{"* STATUS {5}\r\n", "", true},
		{"* 3 EXISTS\r\n", "", false},
		{"T1 OK STATUS done\r\n", "", false},
	} {
		name, ok := StatusMailbox([]byte(c.line))
		if name != c.name || ok != c.ok {
			t.Errorf("%q: got %q %v, want %q %v", c.line, name, ok, c.name, c.ok)
		}
	}
}
