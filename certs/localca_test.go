package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func mustLoad(t *testing.T, cfg Config) *Bundle {
	t.Helper()
	b, err := Load(cfg)
	if err != nil {
		t.Fatalf("Load(%+v): %v", cfg, err)
	}
	return b
}

func TestGenerateThenReuse(t *testing.T) {
	dir := t.TempDir()
	first := mustLoad(t, Config{DataDir: dir})
	if !first.Generated {
		t.Error("first Load: Generated = false, want true")
	}
	if want := filepath.Join(dir, "tls", "ca.pem"); first.CAFile != want {
		t.Errorf("CAFile = %q, want %q", first.CAFile, want)
	}
	if !regexp.MustCompile(`^([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(first.CAFingerprint) {
		t.Errorf("CAFingerprint %q is not 32 uppercase hex pairs", first.CAFingerprint)
	}
	checkFileModes(t, filepath.Join(dir, "tls"))

	second := mustLoad(t, Config{DataDir: dir})
	if second.Generated {
		t.Error("second Load: Generated = true, want false")
	}
	if second.CAFingerprint != first.CAFingerprint {
		t.Errorf("CA fingerprint changed on reuse: %s then %s", first.CAFingerprint, second.CAFingerprint)
	}
	if a, b := first.Leaf().SerialNumber, second.Leaf().SerialNumber; a.Cmp(b) != 0 {
		t.Errorf("server certificate replaced on reuse: serial %v then %v", a, b)
	}
}

func checkFileModes(t *testing.T, dir string) {
	t.Helper()
	for name, want := range map[string]os.FileMode{
		"ca.pem": 0o644, "ca.key": 0o600, "server.pem": 0o644, "server.key": 0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s mode = %v, want %v", name, got, want)
		}
	}
}

func TestGeneratedCertificates(t *testing.T) {
	b := mustLoad(t, Config{DataDir: t.TempDir()})
	ca := readCA(t, b.CAFile)
	leaf := b.Leaf()

	if !ca.IsCA || !strings.HasPrefix(ca.Subject.CommonName, "vigie local CA") {
		t.Errorf("CA: IsCA=%v CN=%q, want a CA named \"vigie local CA <host>\"", ca.IsCA, ca.Subject.CommonName)
	}
	for name, c := range map[string]*x509.Certificate{"CA": ca, "server": leaf} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s key is %T, want ECDSA P-256", name, c.PublicKey)
		}
	}
	if d := ca.NotAfter.Sub(ca.NotBefore); d < caValidity {
		t.Errorf("CA valid for %v, want at least %v", d, caValidity)
	}
	if d := leaf.NotAfter.Sub(time.Now()); d < 396*24*time.Hour || d > serverValidity {
		t.Errorf("server certificate valid for another %v, want about 397 days", d)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("server ExtKeyUsage = %v, want server auth only", leaf.ExtKeyUsage)
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Errorf("server certificate not signed by the CA: %v", err)
	}
}

func readCA(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := parseCertificates(data)
	if err != nil {
		t.Fatal(err)
	}
	return certs[0]
}

func TestSubjectAltNames(t *testing.T) {
	tests := []struct {
		name    string
		hosts   []string
		wantDNS []string
		wantIPs []string
	}{
		{"defaults only", nil, []string{"localhost"}, []string{"127.0.0.1", "::1"}},
		{
			"names and addresses",
			[]string{"vigie.example.org", "10.0.0.5", "*.cams.example.org"},
			[]string{"vigie.example.org", "*.cams.example.org", "localhost"},
			[]string{"10.0.0.5", "127.0.0.1", "::1"},
		},
		{
			"normalised and deduplicated",
			[]string{" Vigie.Example.org. ", "vigie.example.org", "[FE80::1]", "LOCALHOST", "::1"},
			[]string{"vigie.example.org", "localhost"},
			[]string{"fe80::1", "::1", "127.0.0.1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := mustLoad(t, Config{DataDir: t.TempDir(), Hosts: tt.hosts}).Leaf()
			if !slices.Equal(leaf.DNSNames, tt.wantDNS) {
				t.Errorf("DNSNames = %q, want %q", leaf.DNSNames, tt.wantDNS)
			}
			var ips []string
			for _, ip := range leaf.IPAddresses {
				ips = append(ips, ip.String())
			}
			if !slices.Equal(ips, tt.wantIPs) {
				t.Errorf("IPAddresses = %q, want %q", ips, tt.wantIPs)
			}
			if leaf.Subject.CommonName != tt.wantDNS[0] && leaf.Subject.CommonName != tt.wantIPs[0] {
				t.Errorf("CommonName = %q, want the first host", leaf.Subject.CommonName)
			}
		})
	}
}

func TestInvalidHost(t *testing.T) {
	for _, h := range []string{"", "vigie example", "https://vigie.example.org", "vigie.example.org:8443", "-bad.example.org", "a..b"} {
		_, err := Load(Config{DataDir: t.TempDir(), Hosts: []string{h}})
		if err == nil || !strings.Contains(err.Error(), "not a DNS name or IP address") {
			t.Errorf("host %q: err = %v, want \"not a DNS name or IP address\"", h, err)
		}
	}
}

func TestRegenerateWhenHostsChange(t *testing.T) {
	dir := t.TempDir()
	steps := []struct {
		hosts         []string
		wantGenerated bool
	}{
		{[]string{"vigie.example.org"}, true},
		{[]string{"vigie.example.org", "192.0.2.10"}, true}, // new address: must be covered
		{[]string{"192.0.2.10"}, false},                     // subset of what the certificate names
		{nil, false},
		{[]string{"other.example.org"}, true},
	}
	var fingerprint string
	for i, s := range steps {
		b := mustLoad(t, Config{DataDir: dir, Hosts: s.hosts})
		if b.Generated != s.wantGenerated {
			t.Errorf("step %d hosts %q: Generated = %v, want %v", i, s.hosts, b.Generated, s.wantGenerated)
		}
		hosts, _ := serverHosts(s.hosts)
		if !covers(b.Leaf(), hosts) {
			t.Errorf("step %d: certificate %q %v does not cover %q", i, b.Leaf().DNSNames, b.Leaf().IPAddresses, hosts)
		}
		if i > 0 && b.CAFingerprint != fingerprint {
			t.Errorf("step %d: CA replaced (%s then %s), want the same CA", i, fingerprint, b.CAFingerprint)
		}
		fingerprint = b.CAFingerprint
	}
}

func TestRenewal(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name          string
		generatedAgo  time.Duration
		wantServerNew bool
		wantCANew     bool
	}{
		{"fresh", 100 * day, false, false},
		{"server within 30 days of expiry", 380 * day, true, false},
		{"server expired", 400 * day, true, false},
		{"CA within 30 days of expiry", caValidity - 10*day, true, true},
	}
	hosts, _ := serverHosts(nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			old, err := loadLocal(dir, hosts, time.Now().Add(-tt.generatedAgo))
			if err != nil {
				t.Fatal(err)
			}
			b := mustLoad(t, Config{DataDir: dir})
			if gotNew := b.Leaf().SerialNumber.Cmp(old.cert.Leaf.SerialNumber) != 0; gotNew != tt.wantServerNew {
				t.Errorf("server certificate replaced = %v, want %v", gotNew, tt.wantServerNew)
			}
			if gotNew := b.CAFingerprint != fingerprint(old.ca); gotNew != tt.wantCANew {
				t.Errorf("CA replaced = %v, want %v", gotNew, tt.wantCANew)
			}
			if b.Generated != tt.wantServerNew {
				t.Errorf("Generated = %v, want %v", b.Generated, tt.wantServerNew)
			}
		})
	}
}

func TestDamagedFiles(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		content   string
		wantErr   string // "" when vigie must recover by itself
		wantNewCA bool
	}{
		{"server cert garbage", "server.pem", "garbage", "", false},
		{"server key removed", "server.key", "", "", false},
		{"server cert from another CA", "server.pem", "other-ca", "", false},
		{"CA cert removed", "ca.pem", "", "", true},
		{"CA key garbage", "ca.key", "garbage", "ca.key: no PEM private key found; remove", false},
		{"CA key removed", "ca.key", "", "ca.key: cannot read: no such file or directory; remove", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first := mustLoad(t, Config{DataDir: dir})
			damage(t, filepath.Join(dir, "tls", tt.file), tt.content)
			b, err := Load(Config{DataDir: dir})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load after damage: %v", err)
			}
			if !b.Generated || (b.CAFingerprint != first.CAFingerprint) != tt.wantNewCA {
				t.Errorf("Generated=%v newCA=%v, want true/%v", b.Generated, b.CAFingerprint != first.CAFingerprint, tt.wantNewCA)
			}
		})
	}
}

// damage replaces path with content; "" removes it and "other-ca" puts a
// certificate from an unrelated CA there.
func damage(t *testing.T, path, content string) {
	t.Helper()
	var err error
	switch content {
	case "":
		err = os.Remove(path)
	case "other-ca":
		var other material
		other, err = loadLocal(t.TempDir(), []string{"localhost"}, time.Now())
		if err == nil {
			err = os.WriteFile(path, encodeCertificate(other.cert.Certificate[0]), 0o644)
		}
	default:
		err = os.WriteFile(path, []byte(content), 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestNoDataDir(t *testing.T) {
	if _, err := Load(Config{}); err == nil {
		t.Error("Load without DataDir or files: want an error")
	}
}
