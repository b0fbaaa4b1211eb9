package imapconn

import (
	"errors"
	"slices"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/mailmcp/mailmcp/internal/fault"
)

func TestParseRaw(t *testing.T) {
	vals, err := parseRaw([]byte("* 3 FETCH (UID 7 X-GM-LABELS (\\Important \"a \\\"b\\\"\" {5}\r\nx y z) BODY[HEADER.FIELDS (A B)] NIL)\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(vals) != 4 || vals[2].Atom != "FETCH" || !vals[3].IsList {
		t.Fatalf("%+v", vals)
	}
	items := vals[3].List
	labels := items[3].List
	if items[1].Atom != "7" || len(labels) != 3 || labels[0].Text() != `\Important` || labels[1].Text() != `a "b"` || labels[2].Text() != "x y z" {
		t.Fatalf("items %+v", items)
	}
	if items[4].Atom != "BODY[HEADER.FIELDS (A B)]" || items[5].Atom != "NIL" {
		t.Fatalf("section atom: %+v", items[4:])
	}
	for _, bad := range []string{"* (unclosed", "* \"open", "* {9}\r\nab", "* )"} {
		if _, err := parseRaw([]byte(bad)); !errors.Is(err, errRawSyntax) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestParseSearchAndFetch(t *testing.T) {
	uids, err := parseSearchUIDs([][]byte{[]byte("* SEARCH 4 9 2\r\n"), []byte("* ESEARCH (TAG \"MMX1\") UID ALL 1:3,7\r\n")})
	if err != nil || !slices.Equal(uids, []imap.UID{4, 9, 2, 1, 2, 3, 7}) {
		t.Fatalf("%v %v", uids, err)
	}
	if _, err := parseSearchUIDs([][]byte{[]byte("* SEARCH 1 x\r\n")}); err == nil {
		t.Error("non-numeric SEARCH accepted")
	}
	m, err := parseGmailFetch([][]byte{
		[]byte("* 1 FETCH (X-GM-THRID 1278455344230334865 UID 5 X-GM-MSGID 1278455344230334866 X-GM-LABELS ())\r\n"),
		[]byte("* 2 FETCH (FLAGS (\\Seen))\r\n"), // unsolicited: ignored
	})
	if err != nil || len(m) != 1 || m[5].ThreadID != "1278455344230334865" || m[5].MsgID != "1278455344230334866" || m[5].Labels == nil {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := expandUIDSet("5:3,x"); err == nil {
		t.Error("bad set accepted")
	}
}

func TestLiteralSizeAndStatus(t *testing.T) {
	for in, want := range map[string]int64{"* 1 FETCH (BODY[] {12}\r\n": 12, "a {0}\r\n": 0, "x {7+}\r\n": 7, "no literal\r\n": -1, "{x}\r\n": -1} {
		n, ok := literalSize([]byte(in))
		if (!ok && want != -1) || (ok && n != want) {
			t.Errorf("%q: %d %v", in, n, ok)
		}
	}
	err := rawStatusErr([]byte("MMX3 NO [CANNOT] Invalid search query\r\n"))
	var ie *imap.Error
	if !errors.As(err, &ie) || ie.Code != imap.ResponseCodeCannot || ie.Text != "Invalid search query" {
		t.Fatalf("%#v", err)
	}
	if rawStatusErr([]byte("MMX3 OK done\r\n")) != nil {
		t.Error("OK is an error")
	}
}

func TestThreadIDs(t *testing.T) {
	h := "Message-ID: <c@x>\r\nIn-Reply-To: <b@x>\r\nReferences: <root@x> <a@x>\r\n <b@x>\r\n"
	if got := threadIDs([]byte(h)); !slices.Equal(got, []string{"<c@x>", "<b@x>", "<root@x>", "<a@x>"}) {
		t.Errorf("%q", got)
	}
}

func TestAllCursorRoundTrip(t *testing.T) {
	c := cursor{All: true, Criteria: criteriaKey(Criteria{From: "a"}), FolderSet: folderSetKey([]string{"A", "B"}),
		Positions: []folderPos{{UIDValidity: 4000000000, Before: 0}, {UIDValidity: 7, Before: 123456}}}
	s := encodeCursor(c)
	got, err := decodeCursor(s)
	if err != nil || got.Criteria != c.Criteria || got.FolderSet != c.FolderSet || !slices.Equal(got.Positions, c.Positions) || !got.All {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := decodeCursor("a.!!!"); fault.KindOf(err) != fault.Invalid {
		t.Errorf("garbage all-cursor: %v", err)
	}
}
