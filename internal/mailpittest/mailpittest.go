// Package mailpittest runs Mailpit, a real SMTP server with an HTTP API to
// read what it received, for tests. It is installed by scripts/test-deps.sh;
// a test that cannot find it fails, it is never skipped.
package mailpittest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
	"vigie/internal/gobin"
)

// waitLimit bounds Mailpit's start.
const waitLimit = 20 * time.Second

// Server is a Mailpit server run by a test.
type Server struct {
	t        testing.TB
	SMTPPort int
	API      string         // http://127.0.0.1:port
	Roots    *x509.CertPool // trusts its self-signed certificate
}

// findMailpit finds the binary; its absence fails the test: the test set-up
// (scripts/test-deps.sh) installs it.
func findMailpit(t testing.TB) string {
	t.Helper()
	p, err := gobin.Find("mailpit")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Start runs Mailpit on free loopback ports with a self-signed certificate,
// TLS required ("starttls" or "implicit") or offered ("optional"), any
// login accepted, and extra flags; it stops when the test ends.
func Start(t testing.TB, tlsMode string, extra ...string) *Server {
	t.Helper()
	bin := findMailpit(t)
	dir := t.TempDir()
	roots := writeSelfSigned(t, filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	smtpPort, httpPort := freePort(t), freePort(t)
	args := append([]string{
		"--smtp", "127.0.0.1:" + strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:" + strconv.Itoa(httpPort),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--smtp-tls-cert", filepath.Join(dir, "cert.pem"), "--smtp-tls-key", filepath.Join(dir, "key.pem"),
		"--smtp-auth-accept-any", "--smtp-disable-rdns", "--disable-version-check",
	}, extra...)
	switch tlsMode {
	case "starttls":
		args = append(args, "--smtp-require-starttls")
	case "implicit":
		args = append(args, "--smtp-require-tls")
	case "optional":
	default:
		t.Fatalf("mailpit TLS mode %q", tlsMode)
	}
	var out lockedBuffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("mailpit output:\n%s", out.String())
		}
	})
	m := &Server{t: t, SMTPPort: smtpPort, API: "http://127.0.0.1:" + strconv.Itoa(httpPort), Roots: roots}
	deadline := time.Now().Add(waitLimit)
	for {
		select {
		case err := <-exited:
			t.Fatalf("mailpit exited at start (%v):\n%s", err, out.String())
		default:
		}
		if resp, err := http.Get(m.API + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return m
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit not ready within %v:\n%s", waitLimit, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// writeSelfSigned writes a certificate for 127.0.0.1 and its key, and
// returns a pool that trusts it.
func writeSelfSigned(t testing.TB, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailpit test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	for file, block := range map[string]*pem.Block{
		certFile: {Type: "CERTIFICATE", Bytes: der},
		keyFile:  {Type: "PRIVATE KEY", Bytes: keyDER},
	} {
		if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

// lockedBuffer collects a child's output, written from os/exec's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The parts of Mailpit's API answers that tests read.
type (
	Address struct{ Name, Address string }
	Summary struct {
		ID, MessageID, Subject string
		To                     []Address
	}
	List struct {
		Total    int       `json:"total"`
		Messages []Summary `json:"messages"`
	}
	Message struct {
		ID, MessageID, Subject, Text, HTML string
		Username                           string // the SMTP login it came with
		From                               Address
		To                                 []Address
	}
)

// call makes one API request and decodes its JSON answer into out.
func (m *Server) call(method, path string, body any, out any) {
	m.t.Helper()
	var in io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			m.t.Fatal(err)
		}
		in = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(m.t.Context(), method, m.API+path, in)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		m.t.Fatalf("%s %s: %s %v: %s", method, path, resp.Status, err, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			m.t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
}

// Messages lists what arrived, newest first.
func (m *Server) Messages() List {
	m.t.Helper()
	var list List
	m.call(http.MethodGet, "/api/v1/messages?limit=1000", nil, &list)
	return list
}

// Message returns one message whole.
func (m *Server) Message(id string) Message {
	m.t.Helper()
	var msg Message
	m.call(http.MethodGet, "/api/v1/message/"+id, nil, &msg)
	return msg
}

// Headers returns one message's headers.
func (m *Server) Headers(id string) map[string][]string {
	m.t.Helper()
	var h map[string][]string
	m.call(http.MethodGet, "/api/v1/message/"+id+"/headers", nil, &h)
	return h
}

// Chaos makes Mailpit answer every RCPT TO with code, or, with code 0,
// accept again (needs the --enable-chaos flag).
func (m *Server) Chaos(code int) {
	m.t.Helper()
	triggers := map[string]any{}
	if code != 0 {
		triggers["Recipient"] = map[string]int{"ErrorCode": code, "Probability": 100}
	}
	m.call(http.MethodPut, "/api/v1/chaos", triggers, nil)
}
