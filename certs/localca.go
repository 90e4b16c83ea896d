package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

const (
	caValidity     = 10 * 365 * 24 * time.Hour
	serverValidity = 397 * 24 * time.Hour // the longest browsers accept
	renewBefore    = 30 * 24 * time.Hour
	clockSkew      = time.Hour // NotBefore is set this far back for clients whose clock is behind
)

// localFiles are the paths of the generated material inside DataDir/tls.
type localFiles struct {
	caCert, caKey, serverCert, serverKey string
}

func newLocalFiles(dataDir string) localFiles {
	dir := filepath.Join(dataDir, "tls")
	return localFiles{
		caCert:     filepath.Join(dir, "ca.pem"),
		caKey:      filepath.Join(dir, "ca.key"),
		serverCert: filepath.Join(dir, "server.pem"),
		serverKey:  filepath.Join(dir, "server.key"),
	}
}

// localCA is the CA that signs the generated server certificate.
type localCA struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// loadLocal reuses the local CA and server certificate under dataDir/tls,
// creating the CA when it is absent or expiring, and the server certificate
// when it is absent, unreadable, expiring, signed by another CA or missing
// one of hosts.
func loadLocal(dataDir string, hosts []string, now time.Time) (material, error) {
	files := newLocalFiles(dataDir)
	if err := os.MkdirAll(filepath.Dir(files.caCert), 0o700); err != nil {
		return material{}, fmt.Errorf("tls: create directory: %w", err)
	}
	ca, caCreated, err := loadOrCreateCA(files, now)
	if err != nil {
		return material{}, err
	}
	m := material{ca: ca.cert, caFile: files.caCert, generated: caCreated}
	if !caCreated {
		m.cert, _ = loadServer(files, ca, hosts, now) // any reason to refuse it means a new one
	}
	if m.cert == nil {
		if m.cert, err = createServer(files, ca, hosts, now); err != nil {
			return material{}, err
		}
		m.generated = true
	}
	return m, nil
}

// loadOrCreateCA loads the CA, or creates one when ca.pem is absent or the
// CA is about to expire. A present ca.pem whose key is unusable is an error
// rather than a silent new CA, since browsers may already trust ca.pem.
func loadOrCreateCA(files localFiles, now time.Time) (localCA, bool, error) {
	if !fileExists(files.caCert) {
		ca, err := createCA(files, now)
		return ca, err == nil, err
	}
	ca, err := loadCA(files)
	if err != nil {
		return localCA{}, false, fmt.Errorf("%w; remove %s to create a new local CA", err, files.caCert)
	}
	if now.Add(renewBefore).After(ca.cert.NotAfter) {
		ca, err = createCA(files, now)
		return ca, err == nil, err
	}
	return ca, false, nil
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

func loadCA(files localFiles) (localCA, error) {
	certPEM, err := readFile("tls", files.caCert)
	if err != nil {
		return localCA{}, err
	}
	certs, err := parseCertificates(certPEM)
	if err != nil {
		return localCA{}, fmt.Errorf("tls %s: %w", files.caCert, err)
	}
	if !certs[0].IsCA {
		return localCA{}, fmt.Errorf("tls %s: not a CA certificate", files.caCert)
	}
	keyPEM, err := readFile("tls", files.caKey)
	if err != nil {
		return localCA{}, err
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return localCA{}, fmt.Errorf("tls %s: %w", files.caKey, err)
	}
	if !keyMatches(certs[0], key) {
		return localCA{}, fmt.Errorf("tls %s: private key does not match certificate %s", files.caKey, files.caCert)
	}
	return localCA{cert: certs[0], key: key}, nil
}

// loadServer returns the existing server certificate when it can be served
// as is for hosts; any error means a new one must be created.
func loadServer(files localFiles, ca localCA, hosts []string, now time.Time) (*tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(files.serverCert, files.serverKey)
	if err != nil {
		return nil, err
	}
	leaf := cert.Leaf
	switch {
	case leaf.CheckSignatureFrom(ca.cert) != nil:
		return nil, errors.New("server certificate not signed by the local CA")
	case now.Add(renewBefore).After(leaf.NotAfter):
		return nil, errors.New("server certificate expiring")
	case !covers(leaf, hosts):
		return nil, errors.New("server certificate does not name every host")
	}
	return &cert, nil
}

func createCA(files localFiles, now time.Time) (localCA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return localCA{}, fmt.Errorf("tls: generate CA key: %w", err)
	}
	tmpl, err := caTemplate(now)
	if err != nil {
		return localCA{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return localCA{}, fmt.Errorf("tls: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return localCA{}, fmt.Errorf("tls: parse new CA certificate: %w", err)
	}
	if err := writePair(files.caCert, files.caKey, der, key); err != nil {
		return localCA{}, err
	}
	return localCA{cert: cert, key: key}, nil
}

func caTemplate(now time.Time) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	name := "vigie local CA"
	if h, err := os.Hostname(); err == nil && h != "" {
		name += " " + h
	}
	return &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"vigie"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil
}

func createServer(files localFiles, ca localCA, hosts []string, now time.Time) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tls: generate server key: %w", err)
	}
	tmpl, err := serverTemplate(ca.cert, hosts, now)
	if err != nil {
		return nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("tls: create server certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("tls: parse new server certificate: %w", err)
	}
	if err := writePair(files.serverCert, files.serverKey, der, key); err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

func serverTemplate(ca *x509.Certificate, hosts []string, now time.Time) (*x509.Certificate, error) {
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(serverValidity)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	dns, ips := splitHosts(hosts)
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"vigie"}},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     dns,
		IPAddresses:  ips,
	}, nil
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("tls: certificate serial: %w", err)
	}
	return serial, nil
}

// writePair writes the key first, then the certificate: a crash in between
// leaves a mismatched pair, which the next start detects and replaces.
func writePair(certPath, keyPath string, der []byte, key crypto.Signer) error {
	keyPEM, err := encodePrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	if err := writeFileAtomic(certPath, encodeCertificate(der), 0o644); err != nil {
		return fmt.Errorf("tls: %w", err)
	}
	return nil
}
