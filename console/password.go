package console

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"vigie/config"
)

// maxPassword bounds what is hashed: a longer password is refused before
// any work is done.
const maxPassword = 1024

// passwordHash checks a password against one stored hash.
type passwordHash interface {
	verify(password []byte) bool
	// decoy returns a hash of the same kind and cost whose password nobody
	// knows: checking an unknown user against it takes as long as
	// checking a known one.
	decoy() (passwordHash, error)
}

// parseHash reads a bcrypt or argon2id hash. Their bounds are checked by
// config.Validate; a hash that got here without it still parses.
func parseHash(s string) (passwordHash, error) {
	switch {
	case strings.HasPrefix(s, "$2"):
		if _, err := bcrypt.Cost([]byte(s)); err != nil {
			return nil, fmt.Errorf("bcrypt hash: %w", err)
		}
		return bcryptHash(s), nil
	case strings.HasPrefix(s, "$argon2id$"):
		a, msg := config.ParseArgon2id(s)
		if msg != "" {
			return nil, errors.New(msg)
		}
		return argon2Hash(a), nil
	}
	return nil, errors.New("not a bcrypt or argon2id hash")
}

// bcryptHash is $2a$, $2b$ or $2y$ (the same algorithm).
type bcryptHash string

func (h bcryptHash) verify(password []byte) bool {
	return bcrypt.CompareHashAndPassword([]byte(h), password) == nil
}

func (h bcryptHash) decoy() (passwordHash, error) {
	cost, err := bcrypt.Cost([]byte(h))
	if err != nil {
		return nil, err
	}
	out, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil, err
	}
	return bcryptHash(out), nil
}

// argon2Hash is argon2id, version 19.
type argon2Hash config.Argon2id

func (h argon2Hash) verify(password []byte) bool {
	key := argon2.IDKey(password, h.Salt, h.Time, h.Memory, h.Threads, uint32(len(h.Key)))
	return subtle.ConstantTimeCompare(key, h.Key) == 1
}

func (h argon2Hash) decoy() (passwordHash, error) {
	d := h
	d.Salt, d.Key = make([]byte, len(h.Salt)), make([]byte, len(h.Key))
	_, _ = rand.Read(d.Salt)
	_, _ = rand.Read(d.Key)
	return d, nil
}

// String never shows the hash, should one reach a log.
func (h bcryptHash) String() string { return "bcrypt" }
func (h argon2Hash) String() string {
	return "argon2id(m=" + strconv.Itoa(int(h.Memory)) + ",t=" + strconv.Itoa(int(h.Time)) + ")"
}
