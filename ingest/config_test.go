package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"
)

type nopPublisher struct{}

func (nopPublisher) Video(string) (VideoSink, error)           { return nil, errors.New("none") }
func (nopPublisher) Audio(string, int, int) (AudioSink, error) { return nil, errors.New("none") }
func (nopPublisher) Status(Status)                             {}

const testFingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89"

func TestNewValidates(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" for success
	}{
		{name: "plain", cfg: Config{URL: "rtsp://10.0.0.5/Streaming/Channels/101"}},
		{name: "rtsps pinned", cfg: Config{URL: "rtsps://cam.local:322/main", Fingerprint: testFingerprint}},
		{name: "pin without colons", cfg: Config{URL: "rtsps://cam/main", Fingerprint: strings.ReplaceAll(testFingerprint, ":", "")}},
		{name: "udp", cfg: Config{URL: "rtsp://cam/main", Transport: "UDP"}},
		{name: "http", cfg: Config{URL: "http://cam/main"}, wantErr: "camera URL"},
		{name: "no host", cfg: Config{URL: "rtsp:///main"}, wantErr: "no host"},
		{name: "bad transport", cfg: Config{URL: "rtsp://cam/main", Transport: "multicast"}, wantErr: "transport"},
		{name: "pin on rtsp", cfg: Config{URL: "rtsp://cam/main", Fingerprint: testFingerprint}, wantErr: "rtsps"},
		{name: "short pin", cfg: Config{URL: "rtsps://cam/main", Fingerprint: "AB:CD"}, wantErr: "fingerprint"},
		{name: "pin not hex", cfg: Config{URL: "rtsps://cam/main", Fingerprint: strings.Repeat("zz", 32)}, wantErr: "fingerprint"},
		{name: "zero backoff", cfg: Config{URL: "rtsp://cam/main", Backoff: []time.Duration{time.Second, 0}}, wantErr: "backoff[1]"},
		{name: "negative timeout", cfg: Config{URL: "rtsp://cam/main", ReadTimeout: -time.Second}, wantErr: "timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, nopPublisher{}, nil)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("New: %v, want an error about %q", err, tc.wantErr)
			}
		})
	}
	if _, err := New(Config{URL: "rtsp://cam/main"}, nil, nil); err == nil {
		t.Error("New accepted a nil Publisher")
	}
}

func TestErrorsHidePasswords(t *testing.T) {
	_, err := New(Config{URL: "rtsp://admin:hunter2@cam/main", Transport: "carrier pigeon"}, nopPublisher{}, nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
	_, err = New(Config{URL: "rtsp://admin:hunter2@cam:bad port/main"}, nopPublisher{}, nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v", err)
	}
}

func TestDefaultsAndCredentials(t *testing.T) {
	cases := []struct {
		name               string
		url, user, pass    string
		wantUser, wantPass string
		wantUserinfo       bool
	}{
		{name: "none", url: "rtsp://cam/main"},
		{name: "from URL", url: "rtsp://admin:one@cam/main", wantUser: "admin", wantPass: "one", wantUserinfo: true},
		{name: "config overrides", url: "rtsp://admin:one@cam/main", user: "viewer", pass: "two", wantUser: "viewer", wantPass: "two", wantUserinfo: true},
		{name: "config completes the password", url: "rtsp://admin@cam/main", pass: "two", wantUser: "admin", wantPass: "two", wantUserinfo: true},
		{name: "config only", url: "rtsp://cam/main", user: "viewer", pass: "two", wantUser: "viewer", wantPass: "two", wantUserinfo: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Config{URL: tc.url, Username: tc.user, Password: tc.pass}.validate()
			if err != nil {
				t.Fatal(err)
			}
			if (s.url.User != nil) != tc.wantUserinfo {
				t.Fatalf("userinfo %v", s.url.User)
			}
			if s.url.User != nil {
				pass, _ := s.url.User.Password()
				if s.url.User.Username() != tc.wantUser || pass != tc.wantPass {
					t.Fatalf("credentials %q %q", s.url.User.Username(), pass)
				}
			}
			if strings.Contains(s.safeURL, "two") || strings.Contains(s.safeURL, "one") {
				t.Fatalf("log URL shows the password: %s", s.safeURL)
			}
			if s.readTimeout != defaultReadTimeout || len(s.backoff) != 5 || s.udp {
				t.Fatalf("defaults: %+v", s)
			}
		})
	}
}

func TestPinnedTLS(t *testing.T) {
	cert := selfSigned(t)
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	fp, err := parseFingerprint(fingerprintOf(cert.Certificate[0]))
	if err != nil {
		t.Fatal(err)
	}
	cfg := tlsConfig(fp)
	if err := cfg.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{leaf}}); err != nil {
		t.Fatalf("pinned certificate refused: %v", err)
	}
	other := selfSigned(t)
	otherLeaf, _ := x509.ParseCertificate(other.Certificate[0])
	var pinErr *fingerprintError
	if err := cfg.VerifyConnection(tls.ConnectionState{PeerCertificates: []*x509.Certificate{otherLeaf}}); !errors.As(err, &pinErr) {
		t.Fatalf("other certificate: %v", err)
	}
	if err := cfg.VerifyConnection(tls.ConnectionState{}); !errors.As(err, &pinErr) {
		t.Fatalf("no certificate: %v", err)
	}
	if plain := tlsConfig(nil); plain.InsecureSkipVerify || plain.VerifyConnection != nil {
		t.Fatal("without a pin the chain must be verified")
	}
}

func TestBackoff(t *testing.T) {
	b := backoff{delays: defaultBackoff()}
	var got []time.Duration
	for range 7 {
		got = append(got, b.next())
	}
	want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, 30 * time.Second, 30 * time.Second}
	if !equalDurations(got, want) {
		t.Fatalf("delays %v, want %v", got, want)
	}
	b.reset()
	if d := b.next(); d != time.Second {
		t.Fatalf("after reset: %v", d)
	}
	if d := b.slowest(); d != 30*time.Second {
		t.Fatalf("slowest: %v", d)
	}
	if d := b.next(); d != 30*time.Second {
		t.Fatalf("after a failure, next is %v, want the slowest", d)
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
