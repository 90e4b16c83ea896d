package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Addresses of the two namespaces of a netPair, on their own veth link.
const (
	serverIP = "10.77.0.1"
	clientIP = "10.77.0.2"
)

// netPair is two network namespaces joined by a veth pair: the server's
// and the client's, whose firewall a test sets. Nothing of the host's own
// network changes: the veth pair is created inside the server namespace
// and its peer moved to the client's.
type netPair struct {
	server, client string
}

// newNetPair creates the namespaces, removed when the test ends even if
// it fails. It needs root and the ip command; without them the test
// fails (CI runs as root with iproute2).
func newNetPair(t *testing.T) netPair {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it creates network namespaces (run the tests as root, as CI does)")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("this test needs %q: install iproute2 and nftables (scripts/test-deps.sh does)", tool)
		}
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	p := netPair{server: "vigie-s-" + id, client: "vigie-c-" + id}
	for _, ns := range []string{p.server, p.client} {
		must(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns del %s: %v: %s", ns, err, out)
			}
		})
	}
	must(t, "ip", "-n", p.server, "link", "add", "veth0", "type", "veth", "peer", "name", "veth0", "netns", p.client)
	for ns, ip := range map[string]string{p.server: serverIP, p.client: clientIP} {
		must(t, "ip", "-n", ns, "link", "set", "lo", "up")
		must(t, "ip", "-n", ns, "addr", "add", ip+"/24", "dev", "veth0")
		must(t, "ip", "-n", ns, "link", "set", "veth0", "up")
	}
	return p
}

// firewallClient loads an nftables ruleset in the client namespace only.
func (p netPair) firewallClient(t *testing.T, ruleset string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", p.client, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(ruleset)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft in %s: %v: %s\nruleset:\n%s", p.client, err, out, ruleset)
	}
}

func must(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
}

// vigieIn starts this test binary as `vigie args...` in namespace ns.
func vigieIn(ctx context.Context, ns string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, os.Args[0]}, args...)...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	return cmd
}

// nsServer is `vigie serve --demo` running in the server namespace.
type nsServer struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	link   string // the demo room's participant link
	caFile string
}

// startNSServer runs vigie with the demo camera in p's server namespace,
// its config file holding extra, and waits until its camera is live.
func startNSServer(t *testing.T, p netPair, extra string) *nsServer {
	t.Helper()
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "vigie.yaml")
	cfg := fmt.Sprintf("listen: \":8443\"\nhosts: [%q]\ndata: %q\nlog:\n  level: info\n  format: json\n%s", serverIP, filepath.Join(dir, "data"), extra)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &nsServer{stderr: &lockedBuffer{}, caFile: filepath.Join(dir, "data", "tls", "ca.pem")}
	s.cmd = vigieIn(context.Background(), p.server, nil, "serve", "--config", cfgFile, "--demo")
	s.cmd.Stderr = s.stderr
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	links := make(chan string, 1)
	go scanLink(out, links)
	t.Cleanup(func() { s.stop(t) })

	deadline := time.After(15 * time.Second)
	select {
	case s.link = <-links:
	case <-deadline:
		t.Fatalf("vigie serve printed no participant link within 15 s; log:\n%s", s.stderr.String())
	}
	if s.link == "" {
		t.Fatalf("vigie serve exited without a participant link; log:\n%s", s.stderr.String())
	}
	s.waitLog(t, deadline, cameraLive, "the demo camera live")
	return s
}

var (
	participantLink = regexp.MustCompile(`participant link:\s+(https://\S+)`)
	cameraLive      = regexp.MustCompile(`"msg":"camera status","camera_id":"demo".*"state":"live"`)
)

// scanLink sends the participant link printed on out, or "" if out ends
// first, then drains out.
func scanLink(out io.Reader, links chan<- string) {
	sc := bufio.NewScanner(out)
	sent := false
	for sc.Scan() {
		if m := participantLink.FindStringSubmatch(sc.Text()); m != nil && !sent {
			links <- m[1]
			sent = true
		}
	}
	if !sent {
		links <- ""
	}
}

// waitLog polls the server's log for a line matching re.
func (s *nsServer) waitLog(t *testing.T, deadline <-chan time.Time, re *regexp.Regexp, what string) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !re.MatchString(s.stderr.String()) {
		select {
		case <-deadline:
			t.Fatalf("waited in vain for %s; log:\n%s", what, s.stderr.String())
		case <-tick.C:
		}
	}
}

// stop ends the server with SIGTERM and waits for it; it kills it when
// it does not exit within 10 s.
func (s *nsServer) stop(t *testing.T) {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil && !t.Failed() {
			t.Errorf("vigie serve: %v; log:\n%s", err, s.stderr.String())
		}
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		t.Errorf("vigie serve did not stop within 10 s of SIGTERM")
	}
}

// benchResult is the JSON line of `vigie bench join`.
type benchResult struct {
	N             int                `json:"n"`
	Failures      int                `json:"failures"`
	FirstKeyframe map[string]float64 `json:"first_keyframe_ms"`
	Routes        map[string]int     `json:"routes"`
}

// benchJoinIn runs `vigie bench join` with one viewer in the client
// namespace, trusting the server's CA for WebSocket and TURN over TLS.
func benchJoinIn(ctx context.Context, p netPair, s *nsServer, extra ...string) ([]byte, error) {
	args := append([]string{"bench", "join", "--target", s.link, "--n", "1", "--max-delay=-1s"}, extra...)
	cmd := vigieIn(ctx, p.client, []string{"SSL_CERT_FILE=" + s.caFile}, args...)
	cmd.WaitDelay = 5 * time.Second
	return cmd.CombinedOutput()
}
