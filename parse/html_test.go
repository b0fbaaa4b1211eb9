package parse

import (
	"strings"
	"testing"
)

func TestHTMLToMarkdown(t *testing.T) {
	in := `<html><head><title>T</title><style>p{color:red}</style><script>alert(1)</script></head><body>
<div style="display:none">PREHEADER hidden</div>
<span style="font-size:0px">zero font</span>
<p hidden>hidden attr</p>
<div style="visibility: hidden">invisible</div>
<div style="max-height:0;overflow:hidden">clipped</div>
<h2>Quarterly update</h2>
<p>Read <a href="https://example.com/report">the report</a> now.</p>
<ul><li>one</li><li>two</li></ul>
<blockquote>quoted words</blockquote>
<table><tr><th>Item</th><th>Price</th></tr><tr><td>Tea</td><td>3</td></tr></table>
<table role="presentation"><tr><td><p>layout cell</p></td></tr></table>
<img src="https://t.example.com/open.gif" width="1" height="1">
<img src="https://x.example.com/spacer.gif" alt="">
<img src="https://cdn.example.com/logo.png" alt="ACME logo" width="200">
<a href="javascript:alert(1)">click</a>
<p>zero&#8203;width &#x202E;bidi</p>
<!-- comment -->
</body></html>`
	got := HTMLToMarkdown(in)
	for _, gone := range []string{"PREHEADER", "zero font", "hidden attr", "invisible", "clipped", "alert", "color:red", "open.gif", "spacer", "javascript", "comment", "\u200b", "\u202e", "<"} {
		if strings.Contains(got, gone) {
			t.Errorf("output keeps %q:\n%s", gone, got)
		}
	}
	for _, want := range []string{"## Quarterly update", "[the report](https://example.com/report)", "- one", "> quoted words", "| Item | Price |", "| Tea  | 3     |", "layout cell", "[image: ACME logo]", "zerowidth bidi"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "| layout cell") {
		t.Errorf("layout table rendered as a table:\n%s", got)
	}
}

func TestCalendarSummary(t *testing.T) {
	ics := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Paris\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nSUMMARY:Planning\\, Q3\r\nORGANIZER;CN=\"Ann Example\":mailto:ann@example.com\r\nDTSTART;TZID=Europe/Paris:20240305T100000\r\nDTEND:20240305T100000Z\r\nLOCATION:Room 1\r\n long name\r\nATTENDEE:mailto:b@x\r\nATTENDEE:mailto:c@x\r\nBEGIN:VALARM\r\nSUMMARY:alarm\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	raw := "Subject: inv\nContent-Type: multipart/alternative; boundary=b\n\n--b\nContent-Type: text/plain\n\nInvitation\n--b\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\n\n" + ics + "--b--\n"
	m := mustParse(t, raw)
	c := m.Calendar
	if c == nil {
		t.Fatal("no calendar")
	}
	want := CalendarSummary{PartID: "2", Method: "REQUEST", Summary: "Planning, Q3", Start: "2024-03-05T10:00:00+01:00", End: "2024-03-05T10:00:00Z", Location: "Room 1long name", Attendees: 2}
	org := c.Organizer
	c.Organizer = nil
	if *c != want || org == nil || *org != (Address{Name: "Ann Example", Email: "ann@example.com"}) {
		t.Errorf("calendar %+v organizer %+v", *c, org)
	}
	if m.Text != "Invitation" {
		t.Errorf("text %q", m.Text)
	}
}

func TestReports(t *testing.T) {
	dsn := "From: MAILER-DAEMON@mx.example\nSubject: Undelivered\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\n\n--r\nContent-Type: text/plain\n\nYour message could not be delivered.\n--r\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\nOriginal-Envelope-Id: ENV-42\n\nFinal-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\nFinal-Recipient: rfc822;second@example.org\nAction: delayed\nStatus: 4.4.1\n--r\nContent-Type: text/rfc822-headers\n\nMessage-ID: <orig@example.com>\nSubject: hello\n--r--\n"
	m := mustParse(t, dsn)
	d := m.DeliveryStatus
	if d == nil || d.ReportingMTA != "mx.example" || d.OriginalEnvelopeID != "ENV-42" || d.OriginalMessageID != "<orig@example.com>" || len(d.Recipients) != 2 {
		t.Fatalf("dsn %+v", d)
	}
	if r := d.Recipients[0]; r != (DSNRecipient{FinalRecipient: "nobody@example.org", Action: "failed", Status: "5.1.1", Diagnostic: "550 5.1.1 user unknown"}) {
		t.Errorf("recipient %+v", r)
	}
	mdn := "Subject: Read\nContent-Type: multipart/report; report-type=disposition-notification; boundary=r\n\n--r\nContent-Type: text/plain\n\nDisplayed.\n--r\nContent-Type: message/disposition-notification\n\nReporting-UA: mua.example; Mailer 1.0\nFinal-Recipient: rfc822; bob@example.org\nOriginal-Message-ID: <m1@example.com>\nDisposition: manual-action/MDN-sent-manually; displayed\n--r--\n"
	r := mustParse(t, mdn).Receipt
	if r == nil || r.Type != "displayed" || r.OriginalMessageID != "<m1@example.com>" || r.FinalRecipient != "bob@example.org" {
		t.Fatalf("mdn %+v", r)
	}
}

func TestSecurityAndTNEF(t *testing.T) {
	raw := "Subject: s\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=s\n\n--s\nContent-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain\n\nsigned body\n--m\nContent-Type: application/ms-tnef; name=winmail.dat\nContent-Transfer-Encoding: base64\n\neJ8+IgEA\n--m--\n--s\nContent-Type: application/pkcs7-signature; name=smime.p7s\nContent-Transfer-Encoding: base64\n\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n--s--\n"
	m := mustParse(t, raw)
	if m.Text != "signed body" {
		t.Errorf("text %q", m.Text)
	}
	if len(m.Security) != 1 || m.Security[0] != (SecurityPart{PartID: "2", Scheme: "smime", Kind: "signature", MediaType: "application/pkcs7-signature"}) {
		t.Errorf("security %+v", m.Security)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].PartID != "1.2" || !strings.Contains(m.Attachments[0].Note, "TNEF") || m.Attachments[0].Size != 6 {
		t.Errorf("attachments %+v", m.Attachments)
	}
	enc := "Subject: e\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n-----BEGIN PGP MESSAGE-----\nhQEMA\n-----END PGP MESSAGE-----\n--e--\n"
	m = mustParse(t, enc)
	if len(m.Security) != 1 || m.Security[0].Kind != "encrypted" || m.Security[0].Scheme != "pgp" || !strings.Contains(m.Text, "encrypted") {
		t.Errorf("pgp encrypted: %+v %q", m.Security, m.Text)
	}
}
