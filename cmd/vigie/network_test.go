package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"vigie/turnserver"
)

// Client firewalls, loaded in the client namespace only.
const (
	// noUDP drops every UDP packet in and out: media must use ICE over TCP.
	noUDP = `table inet vigie_test {
	chain input { type filter hook input priority 0; policy accept; meta l4proto udp drop; }
	chain output { type filter hook output priority 0; policy accept; meta l4proto udp drop; }
}`
	// onlyHTTPS lets out nothing but TCP to the server's HTTPS port, where
	// TURN over TLS shares the port: media must come through the relay.
	onlyHTTPS = `table inet vigie_test {
	chain output { type filter hook output priority 0; policy drop; oif "lo" accept; ip daddr ` + serverIP + ` tcp dport 8443 accept; }
	chain input { type filter hook input priority 0; policy drop; iif "lo" accept; ct state established,related accept; }
}`
)

// TestCameraOverICETCPWhenUDPIsBlocked: a responder whose network drops
// all UDP still gets the camera, over the server's ICE-TCP port. TURN is
// off: with it, the SFU may as well pick a TURN-over-TCP relay, which
// TestCameraOverTURNTLSOnHTTPSPort covers.
func TestCameraOverICETCPWhenUDPIsBlocked(t *testing.T) {
	p := newNetPair(t)
	p.firewallClient(t, noUDP)
	s := startNSServer(t, p, "turn:\n  enabled: false\n")
	res := benchIn(t, p, s)
	wantRoute(t, res, "host/tcp → host/tcp")
}

// TestCameraOverTURNTLSOnHTTPSPort: a responder whose network lets out
// only TCP to the HTTPS port gets the camera through the embedded TURN
// server, reached over TLS on that same port.
func TestCameraOverTURNTLSOnHTTPSPort(t *testing.T) {
	p := newNetPair(t)
	p.firewallClient(t, onlyHTTPS)
	s := startNSServer(t, p, "")
	res := benchIn(t, p, s)
	wantRoute(t, res, "relay/udp(tls) → host/udp")
}

// benchIn runs one viewer in the client namespace and returns its result.
func benchIn(t *testing.T, p netPair, s *nsServer) benchResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := benchJoinIn(ctx, p, s)
	if err != nil {
		t.Fatalf("vigie bench join: %v\n%s\nserver log:\n%s", err, out, s.stderr.String())
	}
	lines := bytes.Split(bytes.TrimSpace(out), []byte("\n"))
	var res benchResult
	if err := json.Unmarshal(lines[len(lines)-1], &res); err != nil {
		t.Fatalf("bench output has no JSON result: %v\n%s", err, out)
	}
	if res.N != 1 || res.Failures != 0 || res.FirstKeyframe["max"] <= 0 {
		t.Fatalf("the viewer got no keyframe:\n%s\nserver log:\n%s", out, s.stderr.String())
	}
	t.Logf("first keyframe %.1f ms after join, routes %v", res.FirstKeyframe["max"], res.Routes)
	return res
}

func wantRoute(t *testing.T, res benchResult, route string) {
	t.Helper()
	if want := map[string]int{route: 1}; !maps.Equal(res.Routes, want) {
		t.Fatalf("video came through %v, want %v", res.Routes, want)
	}
}

// TestHTTPSAndTURNShareThePort: browsers (HTTP/2 and HTTP/1.1) and TURN
// clients over TLS reach the same port, TURN with the credentials the
// server mints.
func TestHTTPSAndTURNShareThePort(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data)
	defer stop()
	pem, err := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: h2}
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get(base + "/healthz")
		if err != nil {
			t.Fatalf("HTTP/2 %v: %v", h2, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tr.CloseIdleConnections()
		if wantProto := map[bool]int{true: 2, false: 1}[h2]; resp.ProtoMajor != wantProto || string(body) != "ok\n" {
			t.Fatalf("HTTP/2 %v: %s %q", h2, resp.Proto, body)
		}
	}

	secret, err := os.ReadFile(filepath.Join(data, "turn.key"))
	if err != nil {
		t.Fatal(err)
	}
	creds, err := turnserver.NewCredentials(secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	user, pass := creds.Mint("s_test", time.Now())
	host := strings.TrimPrefix(base, "https://")
	conn, err := tls.Dial("tcp", host, &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	stun := turn.NewSTUNConn(conn)
	defer stun.Close()
	client, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: host, STUNServerAddr: host, Conn: stun, Username: user, Password: pass})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		t.Fatalf("TURN over TLS on the HTTPS port: %v", err)
	}
	relay.Close()
}
