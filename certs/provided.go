package certs

import (
	"crypto/tls"
	"fmt"
)

// loadProvided reads the administrator's certificate chain and key. Every
// error is one line naming the file at fault.
func loadProvided(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := readFile("tls.cert", certFile)
	if err != nil {
		return nil, err
	}
	chain, err := parseCertificates(certPEM)
	if err != nil {
		return nil, fmt.Errorf("tls.cert %s: %w", certFile, err)
	}
	keyPEM, err := readFile("tls.key", keyFile)
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls.key %s: %w", keyFile, err)
	}
	if !keyMatches(chain[0], key) {
		return nil, fmt.Errorf("tls.key %s: private key does not match certificate %s", keyFile, certFile)
	}
	cert := &tls.Certificate{PrivateKey: key, Leaf: chain[0]}
	for _, c := range chain {
		cert.Certificate = append(cert.Certificate, c.Raw)
	}
	return cert, nil
}
