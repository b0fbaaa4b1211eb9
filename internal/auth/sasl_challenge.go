package auth

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"encoding/hex"
	"errors"

	"github.com/xdg-go/scram"

	"github.com/mailmcp/mailmcp/internal/fault"
)

// Challenge-response SASL mechanisms: the password never crosses the wire.
const (
	MechCRAMMD5         = "CRAM-MD5"           // RFC 2195
	MechSCRAMSHA1       = "SCRAM-SHA-1"        // RFC 5802
	MechSCRAMSHA1Plus   = "SCRAM-SHA-1-PLUS"   // RFC 5802 with channel binding
	MechSCRAMSHA256     = "SCRAM-SHA-256"      // RFC 7677
	MechSCRAMSHA256Plus = "SCRAM-SHA-256-PLUS" // RFC 7677 with channel binding
)

// ErrServerNotVerified is returned by VerifyServer when a SCRAM exchange
// ended before the server proved it knows the password (RFC 5802 §3: the
// client must check the server signature).
var ErrServerNotVerified = errors.New("auth: the server did not prove it knows the password (SCRAM server signature missing)")

// channelBinding derives the binding for cs: tls-exporter on TLS 1.3 when
// keying material can be exported (RFC 9266), tls-server-end-point
// otherwise (RFC 5929 §4). ok is false when neither can be had.
func channelBinding(cs *tls.ConnectionState) (scram.ChannelBinding, bool) {
	if cs == nil || !cs.HandshakeComplete && len(cs.PeerCertificates) == 0 {
		return scram.ChannelBinding{}, false
	}
	// A state taken before the handshake completed (in VerifyConnection)
	// has no keying material: ExportKeyingMaterial would panic on it.
	if cs.Version >= tls.VersionTLS13 && cs.HandshakeComplete {
		if cb, err := scram.NewTLSExporterBinding(cs); err == nil && cb.IsSupported() {
			return cb, true
		}
	}
	if cb, err := scram.NewTLSServerEndpointBinding(cs); err == nil && cb.IsSupported() {
		return cb, true
	}
	return scram.ChannelBinding{}, false
}

// CRAMMD5Client is the client side of CRAM-MD5 (RFC 2195): it answers the
// server's challenge with the user name and HMAC-MD5(password, challenge).
// go-sasl has no CRAM-MD5 client.
type CRAMMD5Client struct {
	Username string
	Password Secret
	answered bool
}

// Start sends no initial response: the server speaks first.
func (c *CRAMMD5Client) Start() (string, []byte, error) { return MechCRAMMD5, nil, nil }

// Next answers the one challenge.
func (c *CRAMMD5Client) Next(challenge []byte) ([]byte, error) {
	if c.answered {
		return nil, fault.Errorf(fault.Server, "login", "%w: second CRAM-MD5 challenge", ErrSASLProtocol)
	}
	c.answered = true
	m := hmac.New(md5.New, []byte(c.Password.Reveal()))
	m.Write(challenge)
	return []byte(c.Username + " " + hex.EncodeToString(m.Sum(nil))), nil
}

// SCRAMClient is the client side of SCRAM-SHA-1 and SCRAM-SHA-256, with or
// without channel binding (-PLUS), through github.com/xdg-go/scram.
type SCRAMClient struct {
	mech string
	conv *scram.ClientConversation
}

// newSCRAMClient builds a SCRAM client for mech. A -PLUS mechanism needs
// the TLS state; without -PLUS, a client on TLS still says it could bind
// (GS2 flag "y", RFC 5802 §6) so a server that did offer -PLUS detects a
// man in the middle who stripped it.
func newSCRAMClient(mech, username string, password Secret, cs *tls.ConnectionState) (*SCRAMClient, error) {
	hash := scram.SHA256
	switch mech {
	case MechSCRAMSHA1, MechSCRAMSHA1Plus:
		hash = scram.SHA1
	}
	cl, err := hash.NewClient(username, password.Reveal(), "")
	if err != nil {
		return nil, fault.Errorf(fault.Auth, "login", "auth: %s: the user name or password cannot be prepared (SASLprep): %w", mech, err).
			WithHint("Set auth_mechanism = \"PLAIN\" for this account, or use a password without control or unassigned characters")
	}
	cb, haveCB := channelBinding(cs)
	var conv *scram.ClientConversation
	switch {
	case mech == MechSCRAMSHA1Plus || mech == MechSCRAMSHA256Plus:
		if !haveCB {
			return nil, fault.Errorf(fault.Unsupported, "login", "auth: %s needs a TLS connection to bind to", mech).
				WithHint("Use TLS for this server, or remove auth_mechanism")
		}
		conv = cl.NewConversationWithChannelBinding(cb)
	case haveCB:
		conv = cl.NewConversationAdvertisingChannelBinding()
	default:
		conv = cl.NewConversation()
	}
	return &SCRAMClient{mech: mech, conv: conv}, nil
}

// Start returns the client-first message as the initial response.
func (c *SCRAMClient) Start() (string, []byte, error) {
	first, err := c.conv.Step("")
	if err != nil {
		return "", nil, fault.Errorf(fault.Auth, "login", "auth: %s: %w", c.mech, err)
	}
	return c.mech, []byte(first), nil
}

// Next answers server-first with client-final, then checks server-final
// (the server's signature) and answers it with an empty, non-nil response.
func (c *SCRAMClient) Next(challenge []byte) ([]byte, error) {
	if c.conv.Done() {
		return nil, fault.Errorf(fault.Server, "login", "%w: challenge after the SCRAM exchange ended", ErrSASLProtocol)
	}
	resp, err := c.conv.Step(string(challenge))
	if err != nil {
		// A malformed server message or a wrong server signature.
		return nil, fault.Errorf(fault.Auth, "login", "auth: %s: %w", c.mech, err)
	}
	return []byte(resp), nil
}

// VerifyServer reports ErrServerNotVerified unless the exchange ended with
// a valid server signature. Call it after the server said OK.
func (c *SCRAMClient) VerifyServer() error {
	if c.conv.Done() && c.conv.Valid() {
		return nil
	}
	return ErrServerNotVerified
}
