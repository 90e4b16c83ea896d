package turnserver

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by definition
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pion/turn/v5"
)

// Errors of Credentials.Check.
var (
	ErrExpired     = errors.New("turn credential expired")
	ErrBadUsername = errors.New("turn username is not expiry:session")
	ErrBadPassword = errors.New("turn password does not match")
)

// Credentials mints and checks short-lived TURN credentials in the TURN
// REST style: the username is "expiry:session" (expiry in Unix seconds),
// the password the base64 HMAC-SHA1 of the username with a secret only
// the server knows. Nothing is stored per session: the server recomputes
// the password from the username.
type Credentials struct {
	secret []byte
	ttl    time.Duration
}

// NewCredentials returns credentials signed with secret (at least 32
// bytes) and valid for ttl after minting.
func NewCredentials(secret []byte, ttl time.Duration) (*Credentials, error) {
	if len(secret) < 32 {
		return nil, fmt.Errorf("turn secret: %d bytes, need at least 32", len(secret))
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("turn credential lifetime %v: must be positive", ttl)
	}
	return &Credentials{secret: append([]byte(nil), secret...), ttl: ttl}, nil
}

// Mint returns the username and password of session, valid until now+ttl.
func (c *Credentials) Mint(session string, now time.Time) (username, password string) {
	username = strconv.FormatInt(now.Add(c.ttl).Unix(), 10) + ":" + session
	return username, c.password(username)
}

// Check verifies a username and password pair at time now.
func (c *Credentials) Check(username, password string, now time.Time) error {
	if err := checkExpiry(username, now); err != nil {
		return err
	}
	if !hmac.Equal([]byte(password), []byte(c.password(username))) {
		return ErrBadPassword
	}
	return nil
}

// authHandler lets the TURN server authenticate requests: it refuses
// malformed and expired usernames and otherwise gives the long-term key
// derived from the expected password, so that a request signed with any
// other password fails its MESSAGE-INTEGRITY check.
func (c *Credentials) authHandler(now func() time.Time) turn.AuthHandler {
	return func(ra *turn.RequestAttributes) (string, []byte, bool) {
		if checkExpiry(ra.Username, now()) != nil {
			return "", nil, false
		}
		_, session, _ := strings.Cut(ra.Username, ":")
		return session, turn.GenerateAuthKey(ra.Username, ra.Realm, c.password(ra.Username)), true
	}
}

func (c *Credentials) password(username string) string {
	mac := hmac.New(sha1.New, c.secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func checkExpiry(username string, now time.Time) error {
	expiry, session, ok := strings.Cut(username, ":")
	if !ok || session == "" {
		return ErrBadUsername
	}
	t, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil {
		return ErrBadUsername
	}
	if now.Unix() >= t {
		return ErrExpired
	}
	return nil
}
