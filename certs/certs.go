// Package certs gives vigie's HTTPS server a certificate without any set-up:
// either the PEM files the administrator provides, or a server certificate
// signed by a local CA that vigie creates on first start and keeps in its data
// directory, so that browsers only need to trust that CA once.
package certs

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// Config says where the TLS material comes from.
type Config struct {
	DataDir  string   // generated material lives in DataDir/tls/
	Hosts    []string // DNS names or IPs for the server certificate; localhost, 127.0.0.1 and ::1 are always added
	CertFile string   // provided PEM certificate chain; with KeyFile, used instead of generating
	KeyFile  string   // provided PEM private key (PKCS#8, PKCS#1 or SEC 1)
}

// Bundle is what the HTTPS server needs, plus what an administrator needs to
// make browsers trust a generated certificate.
type Bundle struct {
	TLSConfig     *tls.Config // TLS 1.2 or later; serves the current certificate through GetCertificate
	CAFile        string      // local CA certificate to import in browsers; "" when files are provided
	CAFingerprint string      // SHA-256 of the CA certificate DER, uppercase hex with colons; "" when provided
	Generated     bool        // true when Load created new certificate files

	cfg  Config
	cert atomic.Pointer[tls.Certificate]
}

// Load returns the TLS bundle for cfg: the provided files when CertFile and
// KeyFile are set, otherwise the local CA and server certificate under
// DataDir/tls, created or renewed as needed.
func Load(cfg Config) (*Bundle, error) {
	b := &Bundle{cfg: cfg}
	m, err := loadMaterial(cfg, time.Now())
	if err != nil {
		return nil, err
	}
	b.cert.Store(m.cert)
	b.Generated = m.generated
	if m.ca != nil {
		b.CAFile = m.caFile
		b.CAFingerprint = fingerprint(m.ca)
	}
	b.TLSConfig = &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: b.getCertificate,
	}
	return b, nil
}

// Reload reads the provided files again, or renews the generated server
// certificate when it is due, and serves the result to new handshakes. It is
// meant for a SIGHUP handler or a daily timer; on error the current
// certificate stays in service.
func (b *Bundle) Reload() error {
	m, err := loadMaterial(b.cfg, time.Now())
	if err != nil {
		return err
	}
	if m.ca != nil && fingerprint(m.ca) != b.CAFingerprint {
		return fmt.Errorf("tls %s: local CA changed while running; restart vigie", m.caFile)
	}
	b.cert.Store(m.cert)
	return nil
}

// Leaf returns the server certificate currently served, for logging its
// names and expiry.
func (b *Bundle) Leaf() *x509.Certificate {
	return b.cert.Load().Leaf
}

func (b *Bundle) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return b.cert.Load(), nil
}

// fingerprint returns the SHA-256 digest of cert's DER encoding as uppercase
// hex pairs separated by colons, the form browsers show.
func fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	var sb strings.Builder
	for i, c := range sum {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}

// material is the outcome of one load: the certificate to serve and, for
// generated material, the CA that signed it.
type material struct {
	cert      *tls.Certificate
	ca        *x509.Certificate
	caFile    string
	generated bool
}

func loadMaterial(cfg Config, now time.Time) (material, error) {
	switch {
	case cfg.CertFile != "" && cfg.KeyFile != "":
		cert, err := loadProvided(cfg.CertFile, cfg.KeyFile)
		return material{cert: cert}, err
	case cfg.CertFile != "":
		return material{}, fmt.Errorf("tls.cert %s: tls.key is not set; give both or neither", cfg.CertFile)
	case cfg.KeyFile != "":
		return material{}, fmt.Errorf("tls.key %s: tls.cert is not set; give both or neither", cfg.KeyFile)
	case cfg.DataDir == "":
		return material{}, errors.New("tls: no data directory for the generated certificate")
	}
	hosts, err := serverHosts(cfg.Hosts)
	if err != nil {
		return material{}, err
	}
	return loadLocal(cfg.DataDir, hosts, now)
}
