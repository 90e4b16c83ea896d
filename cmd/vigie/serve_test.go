package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer collects a command's output written from several goroutines.
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

// startServe runs `vigie serve` in-process on a free port and returns its
// base URL once it is ready, and a function that stops it and returns its
// exit code.
func startServe(t *testing.T, data string, extra ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	stderr := &lockedBuffer{}
	codec := make(chan int, 1)
	args := append([]string{"serve", "--listen", freeAddr(t), "--data", data, "--free-ports"}, extra...)
	go func() {
		codec <- run(ctx, args, outW, stderr)
		outW.Close()
	}()
	urlRe := regexp.MustCompile(`is running: (https://\S+)/`)
	scanner := bufio.NewScanner(outR)
	var base string
	for scanner.Scan() {
		if m := urlRe.FindStringSubmatch(scanner.Text()); m != nil {
			base = strings.Replace(m[1], "localhost", "127.0.0.1", 1)
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	if base == "" {
		cancel()
		t.Fatalf("serve printed no URL; exit %d; log:\n%s", <-codec, stderr.String())
	}
	stop := func() int {
		cancel()
		select {
		case code := <-codec:
			return code
		case <-time.After(15 * time.Second):
			t.Fatalf("serve did not stop within 15 s; log:\n%s", stderr.String())
			return -1
		}
	}
	return base, stop
}

// freeAddr finds a loopback port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func trustingClient(t *testing.T, data string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
}

func TestServeRoomCreateAndShutdown(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data)
	client := trustingClient(t, data)

	for _, path := range []string{"/healthz", "/readyz", "/"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %s", path, resp.Status)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: no nosniff header", path)
		}
	}

	var out bytes.Buffer
	code := run(context.Background(), []string{"room", "create", "Exercice", "--data", data, "--server", base, "--json"}, &out, io.Discard)
	if code != 0 {
		t.Fatalf("room create exit %d", code)
	}
	var created struct {
		Room  struct{ ID, Name string }
		Links []struct{ Role, URL string }
	}
	if err := json.Unmarshal(out.Bytes(), &created); err != nil {
		t.Fatalf("room create output %q: %v", out.String(), err)
	}
	if created.Room.Name != "Exercice" || len(created.Links) != 2 {
		t.Fatalf("created %+v", created)
	}
	link := created.Links[1].URL
	tok := link[strings.Index(link, "?t=")+3:]
	resp, err := client.Get(base + "/api/v1/join-info?room=" + created.Room.ID + "&t=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("join-info for a fresh link: %s", resp.Status)
	}

	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/rooms", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Authorization", "Bearer wrong")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong admin key: %s", resp.Status)
	}

	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	// A second start reuses the CA and the secret: the link still works.
	fingerprint, _ := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	base, stop = startServe(t, data)
	again, _ := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	if !bytes.Equal(fingerprint, again) {
		t.Fatal("CA regenerated on second start")
	}
	resp, err = trustingClient(t, data).Get(base + "/api/v1/join-info?room=" + created.Room.ID + "&t=" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("link after restart: %s", resp.Status)
	}
	stop()
}

func TestServeRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigie.yaml")
	_ = os.WriteFile(cfg, []byte("listen: \":8443\"\nlistne: x\n"), 0o600)
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"serve", "--config", cfg, "--data", dir}, io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "line 2") || !strings.Contains(stderr.String(), "listne") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
	missing := filepath.Join(dir, "missing.pem")
	_ = os.WriteFile(cfg, []byte("tls:\n  cert: "+missing+"\n  key: "+missing+"\n"), 0o600)
	stderr.Reset()
	code = run(context.Background(), []string{"serve", "--config", cfg, "--data", dir}, io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), missing) || strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
		t.Fatalf("missing cert: exit %d, stderr %q", code, stderr.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"dance"}, io.Discard, &stderr); code != 2 || !strings.Contains(stderr.String(), "unknown command") {
		t.Fatalf("exit %d, %q", code, stderr.String())
	}
}
