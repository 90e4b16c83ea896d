package ingest

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"fmt"
)

// fingerprintError says that the camera's certificate is not the pinned one.
type fingerprintError struct {
	got string // hex SHA-256 of the certificate the camera presented; "" if none
}

func (e *fingerprintError) Error() string {
	if e.got == "" {
		return "camera presented no certificate"
	}
	return "camera certificate SHA-256 " + e.got + " does not match the configured fingerprint"
}

// tlsConfig returns the TLS configuration for rtsps cameras. Without a fingerprint the
// certificate chain and host name are verified as usual (gortsplib fills ServerName from the
// URL). With one, chain verification is replaced by an exact match of the leaf certificate's
// SHA-256: cameras mostly carry self-signed certificates, and pinning them is safer than
// skipping verification.
func tlsConfig(fingerprint []byte) *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if fingerprint == nil {
		return cfg
	}
	want := append([]byte(nil), fingerprint...)
	// Verification is not skipped: VerifyConnection below does it, against the pin.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		return checkPinned(cs, want)
	}
	return cfg
}

func checkPinned(cs tls.ConnectionState, want []byte) error {
	if len(cs.PeerCertificates) == 0 {
		return &fingerprintError{}
	}
	got := sha256.Sum256(cs.PeerCertificates[0].Raw)
	if subtle.ConstantTimeCompare(got[:], want) != 1 {
		return &fingerprintError{got: hex.EncodeToString(got[:])}
	}
	return nil
}

// fingerprintOf formats a DER certificate's SHA-256 the way Config.Fingerprint accepts it,
// with colons, for configuration tools and logs.
func fingerprintOf(der []byte) string {
	sum := sha256.Sum256(der)
	out := make([]byte, 0, len(sum)*3)
	for i, b := range sum {
		if i > 0 {
			out = append(out, ':')
		}
		out = fmt.Appendf(out, "%02X", b)
	}
	return string(out)
}
