package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// serveTLS runs a real HTTPS server on a loopback port with b's TLS
// configuration and returns its port.
func serveTLS(t *testing.T, b *Bundle) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "vigie") }),
		TLSConfig:         b.TLSConfig,
		ReadHeaderTimeout: 5 * time.Second,
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("server: %v", err)
		}
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// clientTrusting returns an HTTP client whose only trusted root is the CA in
// caFile, dialling every address to the test server's loopback port.
func clientTrusting(t *testing.T, caFile string, port string, maxVersion uint16) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if caFile != "" {
		data, err := os.ReadFile(caFile)
		if err != nil {
			t.Fatal(err)
		}
		if !pool.AppendCertsFromPEM(data) {
			t.Fatalf("%s: no certificate for the pool", caFile)
		}
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion},
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				host, _, _ := net.SplitHostPort(addr)
				if host == "vigie.test" || host == "localhost" {
					host = "127.0.0.1"
				}
				return dialer.DialContext(ctx, network, net.JoinHostPort(host, port))
			},
		},
	}
}

func TestHandshake(t *testing.T) {
	b := mustLoad(t, Config{DataDir: t.TempDir(), Hosts: []string{"vigie.test"}})
	port := serveTLS(t, b)

	tests := []struct {
		name       string
		caFile     string
		url        string
		maxVersion uint16
		wantOK     bool
	}{
		{"IP address, no SNI", b.CAFile, "https://127.0.0.1/", 0, true},
		{"localhost", b.CAFile, "https://localhost/", 0, true},
		{"configured host", b.CAFile, "https://vigie.test/", 0, true},
		{"TLS 1.2 client", b.CAFile, "https://vigie.test/", tls.VersionTLS12, true},
		{"TLS 1.1 client refused", b.CAFile, "https://vigie.test/", tls.VersionTLS11, false},
		{"client without the CA refused", "", "https://vigie.test/", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clientTrusting(t, tt.caFile, port, tt.maxVersion)
			resp, err := c.Get(tt.url)
			if !tt.wantOK {
				if err == nil {
					resp.Body.Close()
					t.Fatal("request succeeded, want a handshake failure")
				}
				t.Logf("refused as expected: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("GET %s: %v", tt.url, err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if string(body) != "vigie" {
				t.Errorf("body = %q, want %q", body, "vigie")
			}
		})
	}
}

func TestReloadProvided(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeProvided(t, dir, ecPKCS8)
	b := mustLoad(t, Config{CertFile: certFile, KeyFile: keyFile})
	port := serveTLS(t, b)
	before := b.Leaf()

	newCert, newKey := writeProvided(t, t.TempDir(), ecSEC1)
	for src, dst := range map[string]string{newCert: certFile, newKey: keyFile} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, dst, data)
	}
	if err := b.Reload(); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if b.Leaf().Equal(before) {
		t.Fatal("Leaf unchanged after Reload")
	}

	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", port), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if served := conn.ConnectionState().PeerCertificates[0]; !served.Equal(b.Leaf()) {
		t.Error("a new handshake still gets the old certificate")
	}

	current := b.Leaf()
	writeTestFile(t, keyFile, []byte("garbage"))
	if err := b.Reload(); err == nil {
		t.Error("Reload with a broken key: want an error")
	}
	if !b.Leaf().Equal(current) {
		t.Error("a failed Reload replaced the certificate in service")
	}
}
