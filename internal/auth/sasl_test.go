package auth

import (
	"errors"
	"testing"
)

func TestXOAuth2InitialResponse(t *testing.T) {
	c := NewXOAuth2Client("someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg")
	mech, ir, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	// The example from Google's XOAUTH2 protocol page, before base64.
	want := "user=someuser@example.com\x01auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\x01\x01"
	if mech != "XOAUTH2" || string(ir) != want {
		t.Fatalf("Start() = %q, %q; want XOAUTH2, %q", mech, ir, want)
	}
}

func TestXOAuth2ErrorChallenge(t *testing.T) {
	c := NewXOAuth2Client("u", "tok")
	c.Start()
	resp, err := c.Next([]byte(`{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}`))
	if err != nil {
		t.Fatalf("Next on error challenge: %v", err)
	}
	// Must be empty and non-nil: go-smtp treats nil as "done, success".
	if resp == nil || len(resp) != 0 {
		t.Fatalf("Next = %#v, want empty non-nil slice", resp)
	}
	f := c.Failure()
	if f == nil || f.Status != "400" || f.Scope != "https://mail.google.com/" {
		t.Fatalf("Failure() = %+v", f)
	}
	if _, err := c.Next([]byte("again")); !errors.Is(err, ErrSASLProtocol) {
		t.Fatalf("second challenge: err = %v, want ErrSASLProtocol", err)
	}
}

func TestXOAuth2NonJSONChallenge(t *testing.T) {
	c := NewXOAuth2Client("u", "tok")
	resp, err := c.Next([]byte("garbage\x00\x07 here"))
	if err != nil || resp == nil {
		t.Fatalf("Next = %v, %v", resp, err)
	}
	if c.Failure().Status != "garbage here" {
		t.Fatalf("status %q", c.Failure().Status)
	}
}

func TestOAuthBearerInitialResponse(t *testing.T) {
	cases := []struct {
		user, host string
		port       int
		want       string
	}{
		// RFC 7628 §4.1 example.
		{"user@example.com", "server.example.com", 143, "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"},
		{"", "", 0, "n,,\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"},
		{"a,b=c", "h", 0, "n,a=a=2Cb=3Dc,\x01host=h\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"},
	}
	for _, tc := range cases {
		c := NewOAuthBearerClient(tc.user, "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==", tc.host, tc.port)
		mech, ir, err := c.Start()
		if err != nil || mech != "OAUTHBEARER" || string(ir) != tc.want {
			t.Errorf("Start() = %q, %q, %v; want %q", mech, ir, err, tc.want)
		}
	}
}

func TestOAuthBearerErrorChallenge(t *testing.T) {
	c := NewOAuthBearerClient("u", "t", "", 0)
	resp, err := c.Next([]byte(`{"status":"invalid_token","scope":"example_scope"}`))
	if err != nil || string(resp) != "\x01" {
		t.Fatalf("Next = %q, %v; want \\x01, nil (RFC 7628 §3.2.3)", resp, err)
	}
	if c.Failure().Status != "invalid_token" {
		t.Fatalf("Failure = %+v", c.Failure())
	}
	if _, err := c.Next(nil); !errors.Is(err, ErrSASLProtocol) {
		t.Fatalf("second challenge err = %v", err)
	}
}

func TestChooseMechanism(t *testing.T) {
	cases := []struct {
		name     string
		adv      []string
		token    bool
		provider string
		want     string
	}{
		{"gmail both, xoauth2 default", []string{"XOAUTH2", "OAUTHBEARER", "PLAIN"}, true, ProviderGoogle, "XOAUTH2"},
		{"oauthbearer only", []string{"OAUTHBEARER", "PLAIN"}, true, ProviderGeneric, "OAUTHBEARER"},
		{"microsoft never oauthbearer", []string{"OAUTHBEARER", "PLAIN"}, true, ProviderMicrosoft, ""},
		{"microsoft xoauth2", []string{"AUTH=PLAIN", "xoauth2"}, true, ProviderMicrosoft, "XOAUTH2"},
		{"password plain", []string{"LOGIN", "PLAIN", "XOAUTH2"}, false, "", "PLAIN"},
		{"imap capability form", []string{"IMAP4rev1", "AUTH=PLAIN"}, false, "", "PLAIN"},
		{"password login", []string{"LOGIN", "XOAUTH2"}, false, "", "LOGIN"},
		{"scram-sha-256 first", []string{"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1", "SCRAM-SHA-256"}, false, "", "SCRAM-SHA-256"},
		{"scram-sha-1 over cram", []string{"AUTH=CRAM-MD5", "AUTH=SCRAM-SHA-1", "AUTH=PLAIN"}, false, "", "SCRAM-SHA-1"},
		{"cram over plain", []string{"PLAIN", "CRAM-MD5"}, false, "", "CRAM-MD5"},
		{"no -PLUS without tls", []string{"SCRAM-SHA-256-PLUS"}, false, "", ""},
		{"password nothing", []string{"XOAUTH2"}, false, "", ""},
		{"empty", nil, true, "", ""},
	}
	for _, tc := range cases {
		got, err := ChooseMechanism(tc.adv, tc.token, tc.provider)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrNoMechanism) {
			t.Errorf("%s: ChooseMechanism = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestNewSASLClient(t *testing.T) {
	for _, m := range []string{"PLAIN", "LOGIN", "XOAUTH2", "oauthbearer"} {
		c, err := NewSASLClient(m, "u", "s", "h", 1, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ := c.Start(); got != m && got != "OAUTHBEARER" {
			t.Errorf("%s: Start mech %q", m, got)
		}
	}
	if _, err := NewSASLClient("DIGEST-MD5", "u", "s", "", 0, nil); err == nil {
		t.Fatal("unsupported mechanism accepted")
	}
}
