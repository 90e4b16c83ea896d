package config

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Operator is a user of the operator console (/console): a monitoring-centre
// operator who raises alarms, watches invitations and closes incidents.
type Operator struct {
	Username string `yaml:"username"` // the login: letters, digits, '.', '-', '_' and '@'
	Name     string `yaml:"name"`     // shown in the console; the username when empty
	// PasswordHash is a bcrypt hash ($2a$, $2b$ or $2y$, as made by
	// `htpasswd -bnBC 12 "" PASSWORD | tr -d ':\n'`) or an argon2id hash in
	// the PHC format ($argon2id$v=19$m=65536,t=3,p=4$SALT$HASH). Never the
	// password itself.
	PasswordHash string `yaml:"password_hash"`
}

// Bounds on accepted password hashes: below them a hash is too weak to
// stand an offline attack on a leaked configuration, above them checking
// one login would take the server's memory or seconds of CPU.
const (
	minBcryptCost   = 10
	maxBcryptCost   = 16
	minArgon2Memory = 19 * 1024 // KiB, the OWASP minimum with t=2
	maxArgon2Memory = 1 << 20   // KiB: 1 GiB
	maxArgon2Time   = 16
	maxArgon2Lanes  = 16
)

// checkOperators checks the console's users, naming the entry that is
// wrong; a hash is never quoted back.
func checkOperators(list []Operator) []string {
	var p []string
	seen := map[string]bool{}
	for i, op := range list {
		key := fmt.Sprintf("operators[%d] (%s)", i, op.Username)
		switch {
		case !validUsername(op.Username):
			p = append(p, fmt.Sprintf("operators[%d].username: %q must be 1 to 64 letters, digits, '.', '-', '_' or '@'", i, op.Username))
		case seen[op.Username]:
			p = append(p, fmt.Sprintf("%s.username: used by another operator", key))
		}
		seen[op.Username] = true
		if len(op.Name) > 120 {
			p = append(p, key+".name: longer than 120 characters")
		}
		if msg := CheckPasswordHash(op.PasswordHash); msg != "" {
			p = append(p, key+".password_hash: "+msg)
		}
	}
	return p
}

func validUsername(u string) bool {
	if u == "" || len(u) > 64 {
		return false
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_@", r)) {
			return false
		}
	}
	return true
}

// CheckPasswordHash says what is wrong with a password hash, or "" when it
// is a bcrypt or argon2id hash vigie accepts.
func CheckPasswordHash(h string) string {
	switch {
	case h == "":
		return "missing: make one with htpasswd -bnBC 12 \"\" PASSWORD | tr -d ':\\n'"
	case strings.HasPrefix(h, "$2"):
		return checkBcrypt(h)
	case strings.HasPrefix(h, "$argon2id$"):
		a, msg := ParseArgon2id(h)
		if msg != "" {
			return msg
		}
		return checkArgon2Bounds(a)
	case strings.HasPrefix(h, "$argon2"):
		return "only argon2id is accepted, not argon2i or argon2d"
	}
	return "not a bcrypt ($2b$...) or argon2id ($argon2id$...) hash; is it the password itself?"
}

// bcryptAlphabet is bcrypt's own base64 alphabet.
const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// checkBcrypt checks $2a$/$2b$/$2y$, a two-digit cost and 53 characters of
// salt and hash.
func checkBcrypt(h string) string {
	parts := strings.Split(h, "$")
	if len(parts) != 4 || parts[0] != "" || (parts[1] != "2a" && parts[1] != "2b" && parts[1] != "2y") {
		return "a bcrypt hash starts with $2a$, $2b$ or $2y$"
	}
	cost, err := strconv.Atoi(parts[2])
	if err != nil || len(parts[2]) != 2 {
		return "a bcrypt hash has a two-digit cost after its version, such as $2b$12$"
	}
	if cost < minBcryptCost || cost > maxBcryptCost {
		return fmt.Sprintf("bcrypt cost %d is outside %d to %d", cost, minBcryptCost, maxBcryptCost)
	}
	if len(parts[3]) != 53 || strings.Trim(parts[3], bcryptAlphabet) != "" {
		return "a bcrypt hash ends with 53 characters of salt and hash; is it cut?"
	}
	return ""
}

// Argon2id is a parsed argon2id hash.
type Argon2id struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
	Salt    []byte
	Key     []byte
}

// ParseArgon2id reads $argon2id$v=19$m=M,t=T,p=P$SALT$HASH, salt and hash in
// unpadded standard base64; the message says what is wrong, "" when
// nothing is. The bounds on m, t and p are CheckPasswordHash's.
func ParseArgon2id(h string) (Argon2id, string) {
	var a Argon2id
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return a, "an argon2id hash is $argon2id$v=19$m=M,t=T,p=P$SALT$HASH"
	}
	if parts[2] != "v=19" {
		return a, "only argon2id version 19 (v=19) is accepted"
	}
	var m, t, p uint64
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return a, fmt.Sprintf("argon2id parameter %q is not a number", kv)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return a, fmt.Sprintf("unknown argon2id parameter %q", k)
		}
	}
	if m == 0 || t == 0 || p == 0 || p > 255 {
		return a, "argon2id needs m, t and p, each at least 1 (p at most 255)"
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return a, "argon2id salt must be at least 8 bytes in unpadded base64"
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return a, "argon2id hash must be 16 to 64 bytes in unpadded base64"
	}
	return Argon2id{Memory: uint32(m), Time: uint32(t), Threads: uint8(p), Salt: salt, Key: key}, ""
}

func checkArgon2Bounds(a Argon2id) string {
	switch {
	case a.Memory < minArgon2Memory || a.Memory > maxArgon2Memory:
		return fmt.Sprintf("argon2id memory m=%d KiB is outside %d to %d", a.Memory, minArgon2Memory, maxArgon2Memory)
	case a.Time > maxArgon2Time:
		return fmt.Sprintf("argon2id time t=%d is over %d", a.Time, maxArgon2Time)
	case a.Threads > maxArgon2Lanes:
		return fmt.Sprintf("argon2id parallelism p=%d is over %d", a.Threads, maxArgon2Lanes)
	}
	return ""
}
