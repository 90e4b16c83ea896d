package turnserver

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"vigie/certs"
)

// sharedPort is a TURN server on UDP, TCP, and TLS sharing an HTTPS
// server's port, all on loopback.
type sharedPort struct {
	srv   *Server
	creds *Credentials
	https string // host:port of HTTPS and TURN over TLS
	roots *x509.CertPool
}

func startSharedPort(t *testing.T) *sharedPort {
	t.Helper()
	bundle, err := certs.Load(certs.Config{DataDir: t.TempDir(), Hosts: []string{"localhost"}})
	if err != nil {
		t.Fatal(err)
	}
	pem, err := os.ReadFile(bundle.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	demux := NewDemux(ln, bundle.TLSConfig, log)
	httpSrv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello over ", r.Proto)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- httpSrv.Serve(demux.HTTP()) }()
	creds, err := NewCredentials(testSecret(7), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(Config{
		UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", TLS: demux.TURN(), TLSPort: 443,
		Realm: "vigie", Credentials: creds, Host: "turn.example", RelayIP: net.IPv4(127, 0, 0, 1),
		AllowedPeers: []net.IP{net.IPv4(127, 0, 0, 1)}, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close turn server: %v", err)
		}
		_ = httpSrv.Close()
		if err := <-served; err != http.ErrServerClosed && !strings.Contains(fmt.Sprint(err), "closed") {
			t.Errorf("https serve: %v", err)
		}
		_ = demux.Close()
	})
	return &sharedPort{srv: srv, creds: creds, https: ln.Addr().String(), roots: roots}
}

func TestURLs(t *testing.T) {
	p := startSharedPort(t)
	urls := p.srv.URLs()
	if len(urls) != 3 {
		t.Fatalf("URLs %v, want udp, tcp and tls", urls)
	}
	_, udpPort, _ := net.SplitHostPort(p.srv.udp.LocalAddr().String())
	_, tcpPort, _ := net.SplitHostPort(p.srv.tcp.Addr().String())
	want := []string{
		"turn:turn.example:" + udpPort + "?transport=udp",
		"turn:turn.example:" + tcpPort + "?transport=tcp",
		"turns:turn.example:443?transport=tcp",
	}
	for i := range want {
		if urls[i] != want[i] {
			t.Errorf("URL %d: %s, want %s", i, urls[i], want[i])
		}
	}
	servers := p.srv.ICEServers("s_1")
	if len(servers) != 1 || !strings.HasSuffix(servers[0].Username, ":s_1") {
		t.Fatalf("ICE servers %+v", servers)
	}
	if err := p.creds.Check(servers[0].Username, servers[0].Credential.(string), time.Now()); err != nil {
		t.Fatalf("minted credentials refused: %v", err)
	}
}

// TestAllocate: a TURN client gets a relay over each transport with the
// credentials of its session, and none with a wrong or expired one.
func TestAllocate(t *testing.T) {
	p := startSharedPort(t)
	now := time.Now()
	user, pass := p.creds.Mint("s_ok", now)
	oldUser, oldPass := p.creds.Mint("s_old", now.Add(-2*time.Hour))
	stranger, err := NewCredentials(testSecret(8), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	_, strangerPass := stranger.Mint("s_ok", now)
	creds := []struct {
		name, user, pass string
		ok               bool
	}{
		{"valid", user, pass, true},
		{"wrong MAC", user, strangerPass, false},
		{"expired", oldUser, oldPass, false},
	}
	for _, transport := range []string{"udp", "tcp", "tls", "tls+alpn"} {
		for _, c := range creds {
			t.Run(transport+"/"+c.name, func(t *testing.T) {
				relay, err := p.allocate(t, transport, c.user, c.pass)
				switch {
				case c.ok && err != nil:
					t.Fatalf("allocation refused: %v", err)
				case !c.ok && err == nil:
					t.Fatal("allocation granted")
				case c.ok && !relay.(*net.UDPAddr).IP.Equal(net.IPv4(127, 0, 0, 1)):
					t.Fatalf("relay at %v, want the relay IP", relay)
				}
			})
		}
	}
}

// allocate asks for a relay over transport and returns its address.
func (p *sharedPort) allocate(t *testing.T, transport, user, pass string) (net.Addr, error) {
	t.Helper()
	var conn net.PacketConn
	var server string
	switch transport {
	case "udp":
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn, server = c, p.srv.udp.LocalAddr().String()
	case "tcp":
		c, err := net.Dial("tcp", p.srv.tcp.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conn, server = turn.NewSTUNConn(c), c.RemoteAddr().String()
	default:
		cfg := &tls.Config{RootCAs: p.roots, ServerName: "localhost"}
		if transport == "tls+alpn" {
			cfg.NextProtos = []string{ALPNTURN}
		}
		c, err := tls.Dial("tcp", p.https, cfg)
		if err != nil {
			t.Fatal(err)
		}
		conn, server = turn.NewSTUNConn(c), p.https
	}
	client, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: server, STUNServerAddr: server, Conn: conn, Username: user, Password: pass,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		_ = conn.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	relay, err := client.AllocateWithContext(ctx)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { _ = relay.Close() })
	return relay.LocalAddr(), nil
}

// TestDemuxServesHTTPS: browsers (ALPN h2 or http/1.1) and clients
// without ALPN reach the HTTPS server on the port TURN shares.
func TestDemuxServesHTTPS(t *testing.T) {
	p := startSharedPort(t)
	for _, h2 := range []bool{true, false} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.roots, ServerName: "localhost"}, ForceAttemptHTTP2: h2}
		client := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		resp, err := client.Get("https://" + p.https + "/")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "hello over HTTP/1.1"
		if h2 {
			want = "hello over HTTP/2.0"
		}
		if string(body) != want {
			t.Errorf("ALPN h2 %v: body %q, want %q", h2, body, want)
		}
		tr.CloseIdleConnections()
	}

	// No ALPN at all: classified by the request's first byte.
	c, err := tls.Dial("tcp", p.https, &tls.Config{RootCAs: p.roots, ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.ConnectionState().NegotiatedProtocol != "" {
		t.Fatalf("ALPN %q negotiated without being offered", c.ConnectionState().NegotiatedProtocol)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "hello over HTTP/1.1" {
		t.Fatalf("without ALPN: %s %q", resp.Status, body)
	}
}

// TestRelayReachesOnlyAllowedPeers: a relay cannot be used to reach other
// machines than the server's own addresses.
func TestRelayReachesOnlyAllowedPeers(t *testing.T) {
	p := startSharedPort(t)
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	user, pass := p.creds.Mint("s_perm", time.Now())
	server := p.srv.udp.LocalAddr().String()
	client, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: server, STUNServerAddr: server, Conn: conn, Username: user, Password: pass,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := client.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	if err := client.CreatePermission(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}); err != nil {
		t.Errorf("permission to the server's own address refused: %v", err)
	}
	if err := client.CreatePermission(&net.UDPAddr{IP: net.IPv4(192, 0, 2, 10), Port: 9}); err == nil {
		t.Error("permission to another machine granted")
	}
}

// TestQuotaPerSession: one session gets at most MaxAllocations relays at a
// time; others are not affected, and a released relay can be taken again.
func TestQuotaPerSession(t *testing.T) {
	creds, err := NewCredentials(testSecret(9), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := Start(Config{
		UDP: "127.0.0.1:0", Realm: "vigie", Credentials: creds, Host: "127.0.0.1",
		RelayIP: net.IPv4(127, 0, 0, 1), MaxAllocations: 2, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	server := srv.udp.LocalAddr().String()
	allocate := func(session string) (net.PacketConn, error) {
		conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		user, pass := creds.Mint(session, time.Now())
		client, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: server, STUNServerAddr: server, Conn: conn, Username: user, Password: pass})
		if err != nil {
			t.Fatal(err)
		}
		if err := client.Listen(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { client.Close(); _ = conn.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return client.AllocateWithContext(ctx)
	}
	var held []net.PacketConn
	for i := range 2 {
		relay, err := allocate("s_a")
		if err != nil {
			t.Fatalf("relay %d of s_a refused: %v", i+1, err)
		}
		held = append(held, relay)
	}
	if relay, err := allocate("s_a"); err == nil {
		relay.Close()
		t.Fatal("a third relay granted to s_a")
	}
	if relay, err := allocate("s_b"); err != nil {
		t.Fatalf("s_b refused: %v", err)
	} else {
		relay.Close()
	}
	held[0].Close() // deallocates
	deadline := time.Now().Add(5 * time.Second)
	for {
		relay, err := allocate("s_a")
		if err == nil {
			relay.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("s_a still refused after releasing a relay: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	held[1].Close()
}
