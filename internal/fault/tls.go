package fault

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
)

// CertificateHint is the next step for a TLS handshake with host that
// failed, or "" when there is nothing specific to say. The common case is
// a host given as an IP address while the server's certificate only names
// host names ("certificate doesn't contain any IP SANs"): the fix is the
// name, which the certificate itself tells.
func CertificateHint(host string, err error) string {
	var he x509.HostnameError // crypto/tls wraps it by value
	if !errors.As(err, &he) || he.Certificate == nil {
		return ""
	}
	names := he.Certificate.DNSNames
	if len(names) == 0 && he.Certificate.Subject.CommonName != "" {
		names = []string{he.Certificate.Subject.CommonName}
	}
	if len(names) > 5 {
		names = names[:5]
	}
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		if len(names) == 0 {
			return fmt.Sprintf("The server's certificate does not cover the IP address %s; set the account's host to the server's host name instead", host)
		}
		return fmt.Sprintf("The server's certificate does not cover the IP address %s; set the account's host to a name it does cover: %s", host, strings.Join(names, ", "))
	}
	if len(names) > 0 {
		return fmt.Sprintf("The server's certificate does not cover %s; set the account's host to a name it does cover: %s", host, strings.Join(names, ", "))
	}
	return ""
}
