package tools

import (
	"strings"
	"testing"

	"github.com/mailmcp/mailmcp/internal/imapconn"
)

// TestRenderPageLowerBound: a total the index stopped counting at is
// said to be a lower bound; an exact one is not.
func TestRenderPageLowerBound(t *testing.T) {
	p := &imapconn.Page{Folder: "INBOX", Total: 1000, TotalAtLeast: true, Source: "index",
		Messages: []imapconn.Envelope{{ID: "a", Subject: "Hi", Flags: []string{}}}}
	if s := renderPage(p); !strings.Contains(s, "1 of at least 1000 matching messages") {
		t.Errorf("lower bound not said:\n%s", s)
	}
	p.TotalAtLeast = false
	if s := renderPage(p); !strings.Contains(s, "1 of 1000 matching messages") {
		t.Errorf("exact total:\n%s", s)
	}
}
