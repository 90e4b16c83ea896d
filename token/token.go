// Package token signs and checks the join tokens carried by room links.
//
// A token is base64url(payload) "." base64url(HMAC-SHA256(secret, base64url(payload))).
// The payload is small JSON naming the room, the identity of the link, the
// display name, the role and the expiry. Tokens are bearer secrets: they are
// never logged.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Roles a token can carry. Participant is a guest of a room created by
// hand; responder, committee and observer are invited to an incident.
const (
	RoleOperator    = "operator"
	RoleParticipant = "participant"
	RoleResponder   = "responder"
	RoleCommittee   = "committee"
	RoleObserver    = "observer" // sees and chats; sends no audio or video
)

// validRole reports whether a token may carry role.
func validRole(role string) bool {
	switch role {
	case RoleOperator, RoleParticipant, RoleResponder, RoleCommittee, RoleObserver:
		return true
	}
	return false
}

// Errors returned by Verify. Their text is safe to show to the holder.
var (
	ErrMissing   = errors.New("the link has no token")
	ErrInvalid   = errors.New("the token is malformed or its signature is wrong")
	ErrExpired   = errors.New("the token has expired")
	ErrWrongRoom = errors.New("the token belongs to another room")
)

// maxTokenLen bounds what Verify decodes: a real token is a few hundred bytes.
const maxTokenLen = 2048

// Claims is what a token says about its holder.
type Claims struct {
	Version int    `json:"v"`
	Room    string `json:"room"`
	Subject string `json:"sub"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Expiry  int64  `json:"exp"`
}

// ExpiresAt is the expiry as a time.
func (c Claims) ExpiresAt() time.Time { return time.Unix(c.Expiry, 0) }

// Signer signs and verifies tokens with one server secret.
type Signer struct {
	secret []byte
	now    func() time.Time
}

// NewSigner returns a Signer using secret (at least 32 bytes) and the given clock
// (time.Now when nil).
func NewSigner(secret []byte, now func() time.Time) (*Signer, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("token secret is %d bytes, need at least 32", len(secret))
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{secret: append([]byte(nil), secret...), now: now}, nil
}

// Sign returns the token for c.
func (s *Signer) Sign(c Claims) (string, error) {
	if c.Room == "" || c.Subject == "" || c.Expiry == 0 {
		return "", errors.New("token claims need a room, a subject and an expiry")
	}
	if !validRole(c.Role) {
		return "", fmt.Errorf("unknown role %q", c.Role)
	}
	c.Version = 1
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode token: %w", err)
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(s.mac(body)), nil
}

// Verify checks the token's signature and expiry and, when room is not empty,
// that it belongs to that room.
func (s *Signer) Verify(tok, room string) (Claims, error) {
	if tok == "" {
		return Claims{}, ErrMissing
	}
	if len(tok) > maxTokenLen {
		return Claims{}, ErrInvalid
	}
	body, sig, ok := strings.Cut(tok, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	// Strict: a token has exactly one spelling, trailing bits included.
	got, err := strictB64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(body)) {
		return Claims{}, ErrInvalid
	}
	payload, err := strictB64.DecodeString(body)
	if err != nil {
		return Claims{}, ErrInvalid
	}
	var c Claims
	if err := json.Unmarshal(payload, &c); err != nil || c.Version != 1 || c.Room == "" || c.Subject == "" || !validRole(c.Role) {
		return Claims{}, ErrInvalid
	}
	if !s.now().Before(c.ExpiresAt()) {
		return Claims{}, ErrExpired
	}
	if room != "" && c.Room != room {
		return Claims{}, ErrWrongRoom
	}
	return c, nil
}

func (s *Signer) mac(body string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// LoadOrCreateSecret reads the server secret from path, or creates it with 32
// random bytes (mode 0600) when the file does not exist yet.
func LoadOrCreateSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(b) < 32 {
			return nil, fmt.Errorf("secret %s: %d bytes, need at least 32", path, len(b))
		}
		return b, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("secret %s: %w", path, err)
	}
	return b, nil
}

// NewID returns a random identifier with a prefix, such as "r_" for rooms or
// "p_" for participants: 80 random bits in lower-case base32.
func NewID(prefix string) string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return prefix + strings.ToLower(base32NoPad.EncodeToString(b))
}
