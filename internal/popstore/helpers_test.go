package popstore

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
)

func loadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("no certificate")
	}
	return pool, nil
}

func tlsConfig(pool *x509.CertPool, host string) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: host, MinVersion: tls.VersionTLS12}
}
