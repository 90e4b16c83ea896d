package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keyForm selects how writeProvided encodes the private key.
type keyForm int

const (
	ecPKCS8 keyForm = iota
	ecSEC1
	rsaPKCS1
)

// writeProvided writes a self-signed certificate for "vigie.example.org" and
// its key into dir, as an administrator would provide them.
func writeProvided(t *testing.T, dir string, form keyForm) (certFile, keyFile string) {
	t.Helper()
	key, keyPEM := newKeyPEM(t, form)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: "vigie.example.org"},
		DNSNames:     []string{"vigie.example.org", "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writeTestFile(t, certFile, encodeCertificate(der))
	writeTestFile(t, keyFile, keyPEM)
	return certFile, keyFile
}

func newKeyPEM(t *testing.T, form keyForm) (crypto.Signer, []byte) {
	t.Helper()
	if form == rsaPKCS1 {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if form == ecSEC1 {
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		params := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}})
		return key, append(params, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})...)
	}
	keyPEM, err := encodePrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, keyPEM
}

func writeTestFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestProvidedFiles(t *testing.T) {
	for name, form := range map[string]keyForm{"EC PKCS#8": ecPKCS8, "EC SEC 1": ecSEC1, "RSA PKCS#1": rsaPKCS1} {
		t.Run(name, func(t *testing.T) {
			certFile, keyFile := writeProvided(t, t.TempDir(), form)
			dataDir := t.TempDir()
			b := mustLoad(t, Config{DataDir: dataDir, CertFile: certFile, KeyFile: keyFile, Hosts: []string{"ignored.example.org"}})
			if b.Generated || b.CAFile != "" || b.CAFingerprint != "" {
				t.Errorf("Generated=%v CAFile=%q CAFingerprint=%q, want false and empty", b.Generated, b.CAFile, b.CAFingerprint)
			}
			if cn := b.Leaf().Subject.CommonName; cn != "vigie.example.org" {
				t.Errorf("served certificate CN = %q, want the provided one", cn)
			}
			if _, err := os.Stat(filepath.Join(dataDir, "tls")); !os.IsNotExist(err) {
				t.Errorf("data dir tls/ exists (%v); nothing should be generated with provided files", err)
			}
		})
	}
}

func TestProvidedFileErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeProvided(t, dir, ecPKCS8)
	otherCert, otherKey := writeProvided(t, t.TempDir(), ecPKCS8)
	garbage := filepath.Join(dir, "garbage.pem")
	writeTestFile(t, garbage, []byte("not a PEM file\n"))
	badDER := filepath.Join(dir, "bad-der.pem")
	writeTestFile(t, badDER, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}))
	encrypted := filepath.Join(dir, "encrypted.pem")
	writeTestFile(t, encrypted, pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}))
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name, cert, key, want string
	}{
		{"cert missing", missing, keyFile, "tls.cert " + missing + ": cannot read: no such file or directory"},
		{"key missing", certFile, missing, "tls.key " + missing + ": cannot read: no such file or directory"},
		{"cert garbage", garbage, keyFile, "tls.cert " + garbage + ": no PEM certificate found"},
		{"key garbage", certFile, garbage, "tls.key " + garbage + ": no PEM private key found"},
		{"cert bad DER", badDER, keyFile, "tls.cert " + badDER + ": certificate 1: x509: "},
		{"key is a certificate", certFile, certFile, "tls.key " + certFile + ": no PEM private key found"},
		{"key encrypted", certFile, encrypted, "tls.key " + encrypted + ": encrypted private keys are not supported"},
		{"mismatched", certFile, otherKey, "tls.key " + otherKey + ": private key does not match certificate " + certFile},
		{"mismatched other way", otherCert, keyFile, "tls.key " + keyFile + ": private key does not match certificate " + otherCert},
		{"only cert", certFile, "", "tls.cert " + certFile + ": tls.key is not set"},
		{"only key", "", keyFile, "tls.key " + keyFile + ": tls.cert is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Config{DataDir: t.TempDir(), CertFile: tt.cert, KeyFile: tt.key})
			if err == nil {
				t.Fatal("Load: want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.want) {
				t.Errorf("error %q\nwant prefix %q", msg, tt.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error %q spans several lines, want one", msg)
			}
		})
	}
}
