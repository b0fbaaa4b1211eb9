package auth

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// SASL mechanism names.
const (
	MechPlain       = sasl.Plain
	MechLogin       = sasl.Login
	MechXOAuth2     = "XOAUTH2"
	MechOAuthBearer = sasl.OAuthBearer
)

// ErrNoMechanism is returned by ChooseMechanism when the server offers no
// mechanism usable with the account's credentials.
var ErrNoMechanism = errors.New("auth: server offers no usable SASL mechanism")

// ErrSASLProtocol is returned when the server sends an unexpected challenge.
var ErrSASLProtocol = errors.New("auth: unexpected SASL challenge")

// OAuthSASLError is the JSON error a server sends as its challenge when an
// OAuth bearer token is rejected (Google's XOAUTH2 documentation; RFC 7628
// §3.2.2 for OAUTHBEARER), for example
// {"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}.
type OAuthSASLError struct {
	Mechanism string `json:"-"`
	Status    string `json:"status"`
	Schemes   string `json:"schemes,omitempty"`
	Scope     string `json:"scope,omitempty"`
}

func (e *OAuthSASLError) Error() string {
	s := fmt.Sprintf("auth: %s rejected the token (status %q", e.Mechanism, e.Status)
	if e.Scope != "" {
		s += fmt.Sprintf(", scope %q", e.Scope)
	}
	return s + ")"
}

// parseSASLError decodes an error challenge; a challenge that is not JSON
// is kept (bounded, printable) in Status.
func parseSASLError(mech string, challenge []byte) *OAuthSASLError {
	e := &OAuthSASLError{Mechanism: mech}
	if json.Unmarshal(challenge, e) != nil {
		e.Status = safeStderr(string(challenge))
	}
	return e
}

// XOAuth2Client is the client side of Google's and Microsoft's XOAUTH2 SASL
// mechanism. It implements sasl.Client, so it plugs into go-imap v2
// (imapclient.Client.Authenticate) and go-smtp (Client.Auth).
type XOAuth2Client struct {
	Username string
	Token    Secret

	failure *OAuthSASLError
}

// NewXOAuth2Client returns an XOAUTH2 client for username and access token.
func NewXOAuth2Client(username string, token Secret) *XOAuth2Client {
	return &XOAuth2Client{Username: username, Token: token}
}

// Start returns the initial response `user=U^Aauth=Bearer T^A^A`
// (https://developers.google.com/gmail/imap/xoauth2-protocol).
func (c *XOAuth2Client) Start() (string, []byte, error) {
	ir := "user=" + c.Username + "\x01auth=Bearer " + c.Token.Reveal() + "\x01\x01"
	return MechXOAuth2, []byte(ir), nil
}

// Next answers the server's error challenge with an empty, non-nil response,
// after which the server ends the exchange with a failure reply that
// go-imap and go-smtp return as an error. (Returning nil would make go-smtp
// treat the exchange as finished and successful; returning an error would
// leave go-imap's connection mid-command.) The decoded challenge is
// available from Failure. A second challenge is a protocol error.
func (c *XOAuth2Client) Next(challenge []byte) ([]byte, error) {
	if c.failure != nil {
		return nil, fault.Errorf(fault.Server, "login", "%w after XOAUTH2 error: %w", ErrSASLProtocol, c.failure)
	}
	c.failure = parseSASLError(MechXOAuth2, challenge)
	return []byte{}, nil
}

// Failure returns the server's decoded error challenge, or nil if none came.
func (c *XOAuth2Client) Failure() *OAuthSASLError { return c.failure }

// OAuthBearerClient is the client side of OAUTHBEARER (RFC 7628). It
// implements sasl.Client.
type OAuthBearerClient struct {
	Username string // authorization identity; may be empty
	Token    Secret
	Host     string // server host name, sent when set (RFC 7628 §3.1)
	Port     int    // server port, sent when non-zero

	failure *OAuthSASLError
}

// NewOAuthBearerClient returns an OAUTHBEARER client.
func NewOAuthBearerClient(username string, token Secret, host string, port int) *OAuthBearerClient {
	return &OAuthBearerClient{Username: username, Token: token, Host: host, Port: port}
}

// gs2Escape escapes a saslname (RFC 5801 §4): "," → "=2C", "=" → "=3D".
func gs2Escape(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// Start returns the initial response
// `n,a=USER,^Ahost=H^Aport=P^Aauth=Bearer T^A^A` (RFC 7628 §3.1).
func (c *OAuthBearerClient) Start() (string, []byte, error) {
	var b strings.Builder
	b.WriteString("n,")
	if c.Username != "" {
		b.WriteString("a=" + gs2Escape(c.Username))
	}
	b.WriteString(",")
	if c.Host != "" {
		b.WriteString("\x01host=" + c.Host)
	}
	if c.Port != 0 {
		b.WriteString("\x01port=" + strconv.Itoa(c.Port))
	}
	b.WriteString("\x01auth=Bearer " + c.Token.Reveal() + "\x01\x01")
	return MechOAuthBearer, []byte(b.String()), nil
}

// Next answers the error challenge with a single %x01 (RFC 7628 §3.2.3) so
// the server finishes with a failure reply; see XOAuth2Client.Next.
func (c *OAuthBearerClient) Next(challenge []byte) ([]byte, error) {
	if c.failure != nil {
		return nil, fault.Errorf(fault.Server, "login", "%w after OAUTHBEARER error: %w", ErrSASLProtocol, c.failure)
	}
	c.failure = parseSASLError(MechOAuthBearer, challenge)
	return []byte{0x01}, nil
}

// Failure returns the server's decoded error challenge, or nil if none came.
func (c *OAuthBearerClient) Failure() *OAuthSASLError { return c.failure }

// Choice says what an account can authenticate with, for Choose.
type Choice struct {
	// Token is set for OAuth accounts (an access token instead of a password).
	Token bool
	// Provider is the OAuth provider; "microsoft" never gets OAUTHBEARER.
	Provider string
	// Override is the account's auth_mechanism: when set, exactly that
	// mechanism is used, and a server that does not offer it is an error.
	Override string
	// TLS is set when the exchange runs over TLS with a known connection
	// state, so the SCRAM -PLUS variants (channel binding) can be used.
	TLS bool
}

// PasswordMechanisms are the mechanisms for a password, strongest first:
// channel-bound SCRAM, SCRAM, CRAM-MD5 (the password never crosses the
// wire), then PLAIN and LOGIN (the password is sent, under TLS).
var PasswordMechanisms = []string{MechSCRAMSHA256Plus, MechSCRAMSHA1Plus, MechSCRAMSHA256, MechSCRAMSHA1, MechCRAMMD5, MechPlain, MechLogin}

// Choose picks the SASL mechanism for an account from those the server
// advertises (IMAP capabilities such as AUTH=PLAIN, POP3 CAPA's SASL line
// or the SMTP AUTH line's names; case is ignored).
//
// With an OAuth token: XOAUTH2 when offered (Microsoft supports nothing else,
// Gmail supports both), else OAUTHBEARER — except for provider "microsoft",
// which never gets OAUTHBEARER. With a password: the strongest of
// PasswordMechanisms offered (-PLUS only with ch.TLS). For IMAP, a server
// advertising none of them still accepts the LOGIN command; the caller
// decides whether to fall back to it on ErrNoMechanism.
func Choose(advertised []string, ch Choice) (string, error) {
	has := map[string]bool{}
	for _, m := range advertised {
		m = strings.ToUpper(strings.TrimSpace(m))
		has[strings.TrimPrefix(m, "AUTH=")] = true // IMAP capabilities read AUTH=PLAIN
	}
	offered := strings.Join(advertised, " ")
	if offered == "" {
		offered = "none"
	}
	if o := strings.ToUpper(strings.TrimSpace(ch.Override)); o != "" {
		if !has[o] {
			return "", fault.Errorf(fault.Unsupported, "login", "%w: auth_mechanism %s is not offered by the server (it offers %s)", ErrNoMechanism, o, offered)
		}
		if strings.HasSuffix(o, "-PLUS") && !ch.TLS {
			return "", fault.Errorf(fault.Unsupported, "login", "%w: auth_mechanism %s needs TLS to bind to", ErrNoMechanism, o)
		}
		return o, nil
	}
	var prefs []string
	if ch.Token {
		prefs = []string{MechXOAuth2}
		if ch.Provider != ProviderMicrosoft {
			prefs = append(prefs, MechOAuthBearer)
		}
	} else {
		for _, m := range PasswordMechanisms {
			if strings.HasSuffix(m, "-PLUS") && !ch.TLS {
				continue
			}
			prefs = append(prefs, m)
		}
	}
	for _, m := range prefs {
		if has[m] {
			return m, nil
		}
	}
	return "", fault.Errorf(fault.Unsupported, "login", "%w (want one of %s, server offers %s)", ErrNoMechanism, strings.Join(prefs, " "), offered)
}

// ChooseMechanism is Choose without an override or channel binding.
func ChooseMechanism(advertised []string, useToken bool, provider string) (string, error) {
	return Choose(advertised, Choice{Token: useToken, Provider: provider})
}

// NewSASLClient builds the client for mech. secret is the password for
// the password mechanisms, the access token for XOAUTH2 and OAUTHBEARER;
// host and port are sent by OAUTHBEARER only; cs is the TLS state SCRAM
// binds to (nil without TLS).
func NewSASLClient(mech, username string, secret Secret, host string, port int, cs *tls.ConnectionState) (sasl.Client, error) {
	switch m := strings.ToUpper(mech); m {
	case MechPlain:
		return sasl.NewPlainClient("", username, secret.Reveal()), nil
	case MechLogin:
		return sasl.NewLoginClient(username, secret.Reveal()), nil
	case MechXOAuth2:
		return NewXOAuth2Client(username, secret), nil
	case MechOAuthBearer:
		return NewOAuthBearerClient(username, secret, host, port), nil
	case MechCRAMMD5:
		return &CRAMMD5Client{Username: username, Password: secret}, nil
	case MechSCRAMSHA1, MechSCRAMSHA1Plus, MechSCRAMSHA256, MechSCRAMSHA256Plus:
		return newSCRAMClient(m, username, secret, cs)
	}
	return nil, fault.Errorf(fault.Unsupported, "login", "auth: unsupported SASL mechanism %q", mech).
		WithHint("Set auth_mechanism to one of " + strings.Join(PasswordMechanisms, ", ") + ", or remove it")
}

// VerifySASL checks, after the server accepted an exchange, what the
// mechanism requires of the server: a SCRAM server must have proved it
// knows the password (else an auth_failed error wrapping
// ErrServerNotVerified). Other mechanisms need nothing.
func VerifySASL(c sasl.Client) error {
	if sc, ok := c.(*SCRAMClient); ok {
		if err := sc.VerifyServer(); err != nil {
			return &fault.Error{Kind: fault.Auth, Op: "login", Err: err,
				Hint: "The server accepted the login without proving it knows the password: it may not be the real server; nothing was sent"}
		}
	}
	return nil
}

// WrapSASLError attaches the server's decoded error challenge (if c is an
// XOAUTH2 or OAUTHBEARER client that received one) to err, the error
// go-imap's Authenticate or go-smtp's Auth returned, so that Diagnose can
// tell a rejected token from a rejected password. nil err stays nil.
func WrapSASLError(err error, c sasl.Client) error {
	if err == nil {
		return nil
	}
	var f *OAuthSASLError
	switch c := c.(type) {
	case *XOAuth2Client:
		f = c.Failure()
	case *OAuthBearerClient:
		f = c.Failure()
	}
	if f == nil || errors.Is(err, f) {
		return err
	}
	return fmt.Errorf("%w (%w)", err, f)
}
