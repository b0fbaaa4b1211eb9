package compose

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"

	"github.com/mailmcp/mailmcp/parse"
)

func parsed(t *testing.T, raw string) *parse.Message {
	t.Helper()
	m, err := parse.Parse(strings.NewReader(raw), parse.ParseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReplySubjectNormalisation(t *testing.T) {
	for in, want := range map[string]string{
		"Hello":                "Re: Hello",
		"Re: Hello":            "Re: Hello",
		"RE: re: Hello":        "Re: Hello",
		"Aw: Re: Hello":        "Re: Hello",
		"AW: Hello":            "Re: Hello",
		"Sv: SV: Hello":        "Re: Hello",
		"Antw: Hello":          "Re: Hello",
		"Re[2]: Hello":         "Re: Hello",
		"Re(3): Hello":         "Re: Hello",
		"RE : Hello":           "Re: Hello",
		"回复：你好":                "Re: 你好",
		"Réf: Hello":           "Re: Hello",
		"Fwd: Hello":           "Re: Fwd: Hello",
		"Reply needed":         "Re: Reply needed",
		"Report: Q3":           "Re: Report: Q3",
		"":                     "Re: ",
		"  Re:   spaced  ":     "Re: spaced",
		"Re: Re: Re: Re: Deep": "Re: Deep",
	} {
		if got := ReplySubject(in); got != want {
			t.Errorf("ReplySubject(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"Hello": "Fwd: Hello", "Fwd: FW: Hello": "Fwd: Hello", "WG: Hello": "Fwd: Hello", "Re: Hello": "Fwd: Re: Hello"} {
		if got := ForwardSubject(in); got != want {
			t.Errorf("ForwardSubject(%q) = %q, want %q", in, got, want)
		}
	}
}

const origRaw = "From: Ann <ann@example.org>\r\n" +
	"To: me@example.com, Bob <bob@example.org>\r\n" +
	"Cc: Carl <carl@example.org>, ME@example.com, other-me@example.com\r\n" +
	"Subject: Re: Plans\r\n" +
	"Date: Mon, 2 Nov 2026 09:00:00 +0000\r\n" +
	"Message-ID: <m3@example.org>\r\n" +
	"In-Reply-To: <m2@example.org>\r\n" +
	"References: <m1@example.org> <m2@example.org>\r\n" +
	"\r\n" +
	"Let's meet.\r\n> earlier\r\n"

func TestReplyRecipientsAndThreading(t *testing.T) {
	self := []string{"me@example.com", "other-me@example.com"}
	orig := parsed(t, origRaw)

	r := Reply(orig, self, false, "Sure.", false)
	if len(r.To) != 1 || r.To[0].Email != "ann@example.org" || len(r.Cc) != 0 {
		t.Errorf("reply: to=%v cc=%v", r.To, r.Cc)
	}
	if r.Subject != "Re: Plans" || r.InReplyTo != "m3@example.org" {
		t.Errorf("subject %q in-reply-to %q", r.Subject, r.InReplyTo)
	}
	if strings.Join(r.References, " ") != "m1@example.org m2@example.org m3@example.org" {
		t.Errorf("references = %v", r.References)
	}

	all := Reply(orig, self, true, "Sure.", true)
	var cc []string
	for _, a := range all.Cc {
		cc = append(cc, a.Email)
	}
	if strings.Join(cc, ",") != "bob@example.org,carl@example.org" {
		t.Errorf("reply all cc = %v (want To+Cc minus self and sender)", cc)
	}
	if !strings.Contains(all.Text, "On Mon, 2 Nov 2026 at 09:00, Ann <ann@example.org> wrote:\n> Let's meet.\n>> earlier") {
		t.Errorf("quote:\n%s", all.Text)
	}

	withReplyTo := parsed(t, strings.Replace(origRaw, "Subject:", "Reply-To: list@example.org\r\nSubject:", 1))
	if r := Reply(withReplyTo, self, false, "", false); len(r.To) != 1 || r.To[0].Email != "list@example.org" {
		t.Errorf("Reply-To not honoured: %v", r.To)
	}

	mine := parsed(t, "From: me@example.com\r\nTo: ann@example.org\r\nSubject: x\r\nMessage-ID: <s@example.com>\r\n\r\nhi\r\n")
	if r := Reply(mine, self, false, "", false); len(r.To) != 1 || r.To[0].Email != "ann@example.org" {
		t.Errorf("reply to own message should go to its To: %v", r.To)
	}

	// The reply builds and threads.
	r.From = Address{Email: "me@example.com"}
	b, err := Build(r, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if rawHeader(b.Raw, "References") != "<m1@example.org> <m2@example.org> <m3@example.org>" || rawHeader(b.Raw, "In-Reply-To") != "<m3@example.org>" {
		t.Errorf("threading headers:\n%s", b.Raw)
	}
}

func TestReferencesAreBounded(t *testing.T) {
	var refs []string
	for i := 0; i < 100; i++ {
		refs = append(refs, "r"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"@example.org")
	}
	out := threadRefs(refs, "last@example.org")
	if len(out) > maxReferences || out[0] != refs[0] || out[len(out)-1] != "last@example.org" {
		t.Errorf("refs = %d, first %q last %q", len(out), out[0], out[len(out)-1])
	}
}

const withAttachment = "From: Ann <ann@example.org>\r\nTo: me@example.com\r\nSubject: Report\r\n" +
	"Date: Mon, 2 Nov 2026 09:00:00 +0000\r\nMessage-ID: <r1@example.org>\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
	"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the numbers.\r\n" +
	"--b\r\nContent-Type: text/csv; name=q3.csv\r\nContent-Disposition: attachment; filename=q3.csv\r\nContent-Transfer-Encoding: base64\r\n\r\nYSxiCjEsMgo=\r\n" +
	"--b--\r\n"

func TestForwardInlineReattaches(t *testing.T) {
	orig := parsed(t, withAttachment)
	f := Forward(orig, []byte(withAttachment), false, "FYI")
	f.From, f.To = Address{Email: "me@example.com"}, []Address{{Email: "boss@example.org"}}
	b, err := Build(f, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	env, err := enmime.ReadEnvelope(bytes.NewReader(b.Raw))
	if err != nil {
		t.Fatal(err)
	}
	if env.GetHeader("Subject") != "Fwd: Report" {
		t.Errorf("subject %q", env.GetHeader("Subject"))
	}
	for _, want := range []string{"FYI", "---------- Forwarded message ----------", "From: Ann <ann@example.org>", "Subject: Report", "See the numbers."} {
		if !strings.Contains(env.Text, want) {
			t.Errorf("forward text lacks %q:\n%s", want, env.Text)
		}
	}
	if len(env.Attachments) != 1 || env.Attachments[0].FileName != "q3.csv" || string(env.Attachments[0].Content) != "a,b\n1,2\n" {
		t.Fatalf("attachment not re-attached: %+v", env.Attachments)
	}
}

func TestForwardAsAttachment(t *testing.T) {
	orig := parsed(t, withAttachment)
	f := Forward(orig, []byte(withAttachment), true, "see below")
	f.From, f.To = Address{Email: "me@example.com"}, []Address{{Email: "boss@example.org"}}
	b, err := Build(f, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	back := parsed(t, string(b.Raw))
	if len(back.Attachments) != 1 || back.Attachments[0].MediaType != "message/rfc822" || back.Attachments[0].Filename != "Report.eml" {
		t.Fatalf("attachments = %+v", back.Attachments)
	}
	if !bytes.Contains(b.Raw, []byte("YSxiCjEsMgo=")) || !strings.Contains(back.Text, "see below") {
		t.Error("original not attached whole")
	}
}

func TestOpenInDir(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "sub", "ok.txt"), []byte("hello"), 0o644))
	must(os.WriteFile(filepath.Join(outside, "secret.txt"), []byte("secret"), 0o644))
	must(os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(dir, "link.txt")))
	must(os.Symlink("sub/ok.txt", filepath.Join(dir, "inside.txt")))

	a, err := OpenInDir(dir, "sub/ok.txt")
	if err != nil {
		t.Fatal(err)
	}
	rc, err := a.Open()
	must(err)
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "hello" || a.Size != 5 || a.Filename != "ok.txt" || a.ContentType != "text/plain; charset=utf-8" {
		t.Errorf("attachment %+v content %q", a, got)
	}
	if _, err := OpenInDir(dir, "inside.txt"); err != nil {
		t.Errorf("symlink inside the dir refused: %v", err)
	}
	for path, code := range map[string]Code{
		filepath.Join(outside, "secret.txt"):           CodePathOutside,
		"../" + filepath.Base(outside) + "/secret.txt": CodePathOutside,
		"sub/../../x": CodePathOutside,
		"link.txt":    CodePathOutside,
		"missing.txt": CodeAttachment,
		"sub":         CodeAttachment,
	} {
		_, err := OpenInDir(dir, path)
		e, ok := err.(*Error)
		if !ok || e.Code != code {
			t.Errorf("OpenInDir(%q) = %v, want code %s", path, err, code)
		}
	}
	if _, err := OpenInDir("", "x"); err == nil || !strings.Contains(err.Error(), "no attachment directory") {
		t.Errorf("no dir: %v", err)
	}
}
