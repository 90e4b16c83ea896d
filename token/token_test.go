package token

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testSigner(t *testing.T, now time.Time) *Signer {
	t.Helper()
	s, err := NewSigner([]byte(strings.Repeat("k", 32)), func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := testSigner(t, now)
	good := Claims{Room: "r_a", Subject: "p_1", Name: "Opérateur", Role: RoleOperator, Expiry: now.Add(time.Hour).Unix()}
	tok, err := s.Sign(good)
	if err != nil {
		t.Fatal(err)
	}
	expired := good
	expired.Expiry = now.Unix()
	expTok, _ := s.Sign(expired)
	other, _ := NewSigner([]byte(strings.Repeat("x", 32)), func() time.Time { return now })
	foreign, _ := other.Sign(good)
	flipped := []byte(tok)
	flipped[len(flipped)-2] ^= 1
	// The last character carries 4 bits of signature and 2 unused ones:
	// another spelling of the same bytes must be refused too.
	respelled := []byte(tok)
	respelled[len(respelled)-1] ^= 1

	tests := []struct {
		name, tok, room string
		want            error
	}{
		{"good", tok, "r_a", nil},
		{"good any room", tok, "", nil},
		{"missing", "", "r_a", ErrMissing},
		{"no dot", "abc", "r_a", ErrInvalid},
		{"tampered signature", string(flipped), "r_a", ErrInvalid},
		{"tampered payload", "x" + tok, "r_a", ErrInvalid},
		{"respelled signature", string(respelled), "r_a", ErrInvalid},
		{"other secret", foreign, "r_a", ErrInvalid},
		{"expired", expTok, "r_a", ErrExpired},
		{"other room", tok, "r_b", ErrWrongRoom},
		{"huge", strings.Repeat("a", 5000), "r_a", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.tok, tt.room)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify: got %v, want %v", err, tt.want)
			}
			if err == nil && (c.Name != good.Name || c.Role != good.Role || c.Subject != good.Subject) {
				t.Fatalf("claims changed: %+v", c)
			}
		})
	}
}

func TestSignRefusesIncompleteClaims(t *testing.T) {
	s := testSigner(t, time.Now())
	for _, c := range []Claims{
		{Subject: "p", Role: RoleOperator, Expiry: 1},
		{Room: "r", Role: RoleOperator, Expiry: 1},
		{Room: "r", Subject: "p", Role: "admin", Expiry: 1},
		{Room: "r", Subject: "p", Role: RoleOperator},
	} {
		if _, err := s.Sign(c); err == nil {
			t.Errorf("Sign(%+v) accepted", c)
		}
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	a, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || len(a) != 32 {
		t.Fatalf("secret not reused: %x vs %x", a, b)
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret mode %v", fi.Mode())
	}
	short := filepath.Join(t.TempDir(), "short.key")
	_ = os.WriteFile(short, []byte("tiny"), 0o600)
	if _, err := LoadOrCreateSecret(short); err == nil || !strings.Contains(err.Error(), short) {
		t.Fatalf("short secret: %v", err)
	}
}

func TestNewIDUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewID("r_")
		if seen[id] || !strings.HasPrefix(id, "r_") || len(id) != 18 {
			t.Fatalf("bad or repeated id %q", id)
		}
		seen[id] = true
	}
}

func FuzzVerify(f *testing.F) {
	s, _ := NewSigner([]byte(strings.Repeat("k", 32)), func() time.Time { return time.Unix(0, 0) })
	tok, _ := s.Sign(Claims{Room: "r", Subject: "p", Role: RoleParticipant, Expiry: 10})
	f.Add(tok)
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := s.Verify(in, "")
		if err == nil && (c.Room == "" || c.Subject == "") {
			t.Fatalf("accepted empty claims from %q", in)
		}
	})
}
