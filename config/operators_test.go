package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Well-formed bcrypt (cost 12) and argon2id hashes: only their form matters
// here; the console package checks passwords against hashes.
const (
	goodBcrypt   = "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
	goodArgon2id = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG8wMcg8NS9Pc"
)

func TestOperators(t *testing.T) {
	tests := []struct {
		name string
		ops  []Operator
		want string // "" for valid; otherwise the whole error
	}{
		{"bcrypt", []Operator{{Username: "alice", Name: "Alice Martin", PasswordHash: goodBcrypt}}, ""},
		{"htpasswd 2y", []Operator{{Username: "bob", PasswordHash: "$2y" + goodBcrypt[3:]}}, ""},
		{"argon2id", []Operator{{Username: "c.dupont@arc", PasswordHash: goodArgon2id}}, ""},
		{"no username", []Operator{{PasswordHash: goodBcrypt}},
			`operators[0].username: "" must be 1 to 64 letters, digits, '.', '-', '_' or '@'`},
		{"space in username", []Operator{{Username: "alice martin", PasswordHash: goodBcrypt}},
			`operators[0].username: "alice martin" must be 1 to 64 letters, digits, '.', '-', '_' or '@'`},
		{"twice", []Operator{{Username: "alice", PasswordHash: goodBcrypt}, {Username: "alice", PasswordHash: goodBcrypt}},
			"operators[1] (alice).username: used by another operator"},
		{"no hash", []Operator{{Username: "alice"}},
			`operators[0] (alice).password_hash: missing: make one with htpasswd -bnBC 12 "" PASSWORD | tr -d ':\n'`},
		{"plain password", []Operator{{Username: "alice", PasswordHash: "hunter2hunter2"}},
			"operators[0] (alice).password_hash: not a bcrypt ($2b$...) or argon2id ($argon2id$...) hash; is it the password itself?"},
		{"bcrypt cut", []Operator{{Username: "alice", PasswordHash: goodBcrypt[:40]}},
			"operators[0] (alice).password_hash: a bcrypt hash ends with 53 characters of salt and hash; is it cut?"},
		{"bcrypt weak", []Operator{{Username: "alice", PasswordHash: "$2b$05$" + goodBcrypt[7:]}},
			"operators[0] (alice).password_hash: bcrypt cost 5 is outside 10 to 16"},
		{"bcrypt version", []Operator{{Username: "alice", PasswordHash: "$2x$12$" + goodBcrypt[7:]}},
			"operators[0] (alice).password_hash: a bcrypt hash starts with $2a$, $2b$ or $2y$"},
		{"argon2i", []Operator{{Username: "alice", PasswordHash: strings.Replace(goodArgon2id, "argon2id", "argon2i", 1)}},
			"operators[0] (alice).password_hash: only argon2id is accepted, not argon2i or argon2d"},
		{"argon2id small memory", []Operator{{Username: "alice", PasswordHash: strings.Replace(goodArgon2id, "m=65536", "m=4096", 1)}},
			"operators[0] (alice).password_hash: argon2id memory m=4096 KiB is outside 19456 to 1048576"},
		{"argon2id version", []Operator{{Username: "alice", PasswordHash: strings.Replace(goodArgon2id, "v=19", "v=16", 1)}},
			"operators[0] (alice).password_hash: only argon2id version 19 (v=19) is accepted"},
		{"argon2id no time", []Operator{{Username: "alice", PasswordHash: strings.Replace(goodArgon2id, ",t=3", "", 1)}},
			"operators[0] (alice).password_hash: argon2id needs m, t and p, each at least 1 (p at most 255)"},
		{"argon2id short salt", []Operator{{Username: "alice", PasswordHash: strings.Replace(goodArgon2id, "c29tZXNhbHRzb21lc2FsdA", "c2FsdA", 1)}},
			"operators[0] (alice).password_hash: argon2id salt must be at least 8 bytes in unpadded base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.Operators = tt.ops
			err := c.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q\nwant %q", got, tt.want)
			}
			if err != nil && strings.Contains(got, goodBcrypt[7:20]) {
				t.Errorf("the error quotes the hash: %s", got)
			}
		})
	}
}

func TestOperatorsFromYAML(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.yaml")
	yaml := "operators:\n  - username: alice\n    name: \"Alice Martin\"\n    password_hash: '" + goodBcrypt + "'\n" +
		"  - {username: bob, password_hash: \"" + goodArgon2id + "\"}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Operators) != 2 || c.Operators[0].Name != "Alice Martin" || c.Operators[0].PasswordHash != goodBcrypt ||
		c.Operators[1].Username != "bob" || c.Operators[1].PasswordHash != goodArgon2id {
		t.Fatalf("operators = %+v", c.Operators)
	}
}

func TestParseArgon2id(t *testing.T) {
	a, msg := ParseArgon2id(goodArgon2id)
	if msg != "" {
		t.Fatal(msg)
	}
	if a.Memory != 65536 || a.Time != 3 || a.Threads != 4 || string(a.Salt) != "somesaltsomesalt" || len(a.Key) != 32 {
		t.Fatalf("parsed %+v", a)
	}
}
