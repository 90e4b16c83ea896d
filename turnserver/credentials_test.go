package turnserver

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

func testSecret(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestCredentialsCheck(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	c, err := NewCredentials(testSecret(1), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCredentials(testSecret(2), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	user, pass := c.Mint("s_abc", now)
	expiry := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	if want := expiry + ":s_abc"; user != want {
		t.Fatalf("username %q, want %q (expiry:session)", user, want)
	}
	_, otherPass := other.Mint("s_abc", now)
	tests := []struct {
		name       string
		user, pass string
		at         time.Time
		want       error
	}{
		{"fresh", user, pass, now, nil},
		{"just before expiry", user, pass, now.Add(time.Hour - time.Second), nil},
		{"expired", user, pass, now.Add(time.Hour), ErrExpired},
		{"signed with another secret", user, otherPass, now, ErrBadPassword},
		{"session changed", strings.Replace(user, "s_abc", "s_abd", 1), pass, now, ErrBadPassword},
		{"expiry pushed back", strconv.FormatInt(now.Add(2*time.Hour).Unix(), 10) + ":s_abc", pass, now, ErrBadPassword},
		{"no session", expiry, pass, now, ErrBadUsername},
		{"empty session", expiry + ":", pass, now, ErrBadUsername},
		{"expiry not a number", "soon:s_abc", pass, now, ErrBadUsername},
		{"empty password", user, "", now, ErrBadPassword},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Check(tt.user, tt.pass, tt.at); !errors.Is(err, tt.want) {
				t.Fatalf("Check(%q, %q) = %v, want %v", tt.user, tt.pass, err, tt.want)
			}
		})
	}
}

func TestNewCredentialsRefuses(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		ttl    time.Duration
	}{
		{"short secret", testSecret(1)[:31], time.Hour},
		{"no lifetime", testSecret(1), 0},
		{"negative lifetime", testSecret(1), -time.Second},
	}
	for _, tt := range tests {
		if _, err := NewCredentials(tt.secret, tt.ttl); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

func TestIsSTUN(t *testing.T) {
	tests := []struct {
		b    byte
		want bool
	}{
		{0x00, true}, // Binding and Allocate requests
		{0x01, true},
		{0x3f, true},
		{'G', false}, {'P', false}, {'H', false}, {'O', false}, {'D', false},
		{0x40, false}, // ChannelData never comes first
	}
	for _, tt := range tests {
		if got := IsSTUN(tt.b); got != tt.want {
			t.Errorf("IsSTUN(%#x) = %v, want %v", tt.b, got, tt.want)
		}
	}
}

// FuzzCredentials: any username and password from the network is
// refused or accepted without panicking, and only a minted pair for an
// unexpired time is accepted.
func FuzzCredentials(f *testing.F) {
	c, err := NewCredentials(testSecret(3), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	user, pass := c.Mint("s_seed", now)
	f.Add(user, pass)
	f.Add("1800003600:s", "")
	f.Add(":", "x")
	f.Add("-1:s", "AAAA")
	f.Add("99999999999999999999:s", "x")
	f.Fuzz(func(t *testing.T, username, password string) {
		err := c.Check(username, password, now)
		if err == nil && password != c.password(username) {
			t.Fatalf("accepted %q with a password that is not its MAC", username)
		}
		ra := &turn.RequestAttributes{Username: username, Realm: "vigie"}
		if _, key, ok := c.authHandler(func() time.Time { return now })(ra); ok != (checkExpiry(username, now) == nil) || ok && len(key) != 16 {
			t.Fatalf("auth handler for %q: ok %v, key %x", username, ok, key)
		}
	})
}
