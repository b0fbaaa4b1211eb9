package policy

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/mailmcp/mailmcp/internal/store"
	"github.com/mailmcp/mailmcp/internal/testrig/statetest"
)

// TestScanTextDisguises: the forms the old scanner missed.
func TestScanTextDisguises(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, c := range []struct{ text, kind string }{
		{"Your verification code is 4 8 3 9 2 0.", "one-time code"},
		{"Your verification code is 48 39 20.", "one-time code"},
		{"Your verification code is ４８３９２０.", "one-time code"},
		{"Your verification code is ٤٨٣٩٢٠.", "one-time code"},
		{"see " + b64("Your verification code is 483920"), "one-time code"},
		{"see " + b64(b64("Your verification code is 483920")), "one-time code"},
		{"Your login code is &#52;&#56;&#51;&#57;&#50;&#48;", "one-time code"},
		{"token%3A%20ghp_" + strings.Repeat("a1B2", 9), "GitHub token"},
		{"pw: hunter22", "password assignment"},
		{"the password is Tr0ub4dor", "password assignment"},
		{"Passwort: x, Kennwort: geheim123", "password assignment"},
		{"ｐａｓｓｗｏｒｄ：ｈｕｎｔｅｒ２２", "password assignment"},
		{"ci secret " + b64("ghp_"+strings.Repeat("a1B2", 9)), "GitHub token"},
	} {
		found := false
		for _, f := range ScanText("body", c.text) {
			found = found || f.Kind == c.kind
		}
		if !found {
			t.Errorf("%q: no %s finding: %+v", c.text, c.kind, ScanText("body", c.text))
		}
	}
	for _, text := range []string{
		"The password is required to log in.",
		"the password is incorrect",
		"Meeting in room 4 8 on floor 3.",
		"Lunch at 12:30 on 14 March 2026? Room 4012.",
	} {
		if f := ScanText("body", text); len(f) != 0 {
			t.Errorf("false positive on %q: %+v", text, f)
		}
	}
}

// TestSeenSecrets: a code read in received mail is found in outgoing text
// however it is written, and forgotten after SeenTTL; only hashes are
// stored.
func TestSeenSecrets(t *testing.T) {
	st := statetest.Open(t, t.TempDir())
	defer st.Close()
	l := NewLedger(st)
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	ctx := context.Background()
	if err := l.RecordSeen(ctx, "a", "Your sign-in code is 483920.\nYour temporary password is Xq7pLm2zRv."); err != nil {
		t.Fatal(err)
	}
	var raw []string
	_ = st.View(ctx, func(tx store.Tx) error {
		return tx.Bucket(seenBucket("a")).Scan(store.ScanOptions{}, func(k string, v []byte) error {
			raw = append(raw, k+string(v))
			return nil
		})
	})
	if len(raw) != 2 || strings.Contains(strings.Join(raw, " "), "483920") || strings.Contains(strings.ToLower(strings.Join(raw, " ")), "xq7p") {
		t.Errorf("stored: %q, want two hashes and no values", raw)
	}
	set, err := l.SeenSecrets(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{"483920", "4 8 3 9 2 0", "48 39 20", "48-39-20", "４８３９２０", "ref 1483920 9", "NDgzOTIw",
		"&#52;&#56;&#51;&#57;&#50;&#48;", "XQ7PLM2ZRV", "Xq7p Lm2z Rv", "\"Xq7pLm2zRv\"", "WHE3cExtMnpSdg=="} {
		if hit, _ := set.Match(out); !hit {
			t.Errorf("%q: not matched", out)
		}
	}
	for _, out := range []string{"483921", "Room 4839", "Xq7pLm2z"} {
		if hit, _ := set.Match(out); hit {
			t.Errorf("%q: matched", out)
		}
	}
	if _, err := l.SeenSecrets(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(SeenTTL + time.Minute)
	set, _ = l.SeenSecrets(ctx, "a")
	if hit, _ := set.Match("483920"); hit {
		t.Error("a code is still matched after SeenTTL")
	}
}

// TestOutgoingTexts: every part of what goes out is scanned, named.
func TestOutgoingTexts(t *testing.T) {
	raw := "From: a@x.example\r\nTo: b@y.example\r\nSubject: =?utf-8?q?code_483920?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"k.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString([]byte("\x00bin 111111\x00")) + "\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner 222222\r\nContent-Type: text/html\r\n\r\n<p style=\"display:none\">333333</p>\r\n--b--\r\n"
	got := map[string]string{}
	for _, tx := range OutgoingTexts([]byte(raw)) {
		got[tx.Where] += tx.Text
	}
	for where, want := range map[string]string{
		"subject": "code 483920", "body": "hello", "attachment name": "k.bin", "attachment k.bin": "111111",
		"forwarded message: subject": "inner 222222", "forwarded message: HTML body": "333333",
	} {
		if !strings.Contains(got[where], want) {
			t.Errorf("%s: %q, want %q (all: %q)", where, got[where], want, got)
		}
	}
}
