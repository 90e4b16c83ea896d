package dc09

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// seeded is a deterministic pad source for tests.
func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func TestEncryptedVectorDecrypts(t *testing.T) {
	key, err := ParseKey(vecKeyHex)
	if err != nil {
		t.Fatal(err)
	}
	f, err := ParseFrame([]byte(vecEncrypted))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := key.Decrypt(f.Ciphertext)
	if err != nil {
		t.Fatal(err)
	}
	if string(plain) != vecPlaintext {
		t.Fatalf("plaintext %q, want %q", plain, vecPlaintext)
	}
	d, err := f.Decrypt(key)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Data) != "#1234|Nri1/PA015" || d.Timestamp != "14:12:04,09-25-2024" || !d.Encrypted || d.Seq != "0007" || d.Line != "0" {
		t.Fatalf("decrypted frame %+v", d)
	}
}

func TestParseKey(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
		same    string // another spelling of the same key
	}{
		{in: vecKeyHex, same: "hex:" + strings.ToLower(vecKeyHex)},
		{in: "0123456789abcdef", same: "ascii:0123456789abcdef"},                 // 16 characters: AES-128
		{in: "ABCDEFGHIJKLMNOPQRSTUVWX", same: "ascii:ABCDEFGHIJKLMNOPQRSTUVWX"}, // AES-192
		{in: "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", same: "ascii:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"},
		{in: "00112233445566778899AABBCCDDEEFF", same: "hex:00112233445566778899AABBCCDDEEFF"}, // 32 hex digits: AES-128
		{in: "short", wantErr: true},
		{in: "hex:0011", wantErr: true},
		{in: "ascii:" + vecKeyHex, wantErr: true}, // 64 characters
		{in: "", wantErr: true},
	}
	plain := []byte("|#1234|Nri1/PA015]_14:12:04,09-25-2024")
	for _, tt := range tests {
		k, err := ParseKey(tt.in)
		if tt.wantErr {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Field != "key" {
				t.Errorf("ParseKey(%q) = %v, want a key error", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", tt.in, err)
		}
		k2, err := ParseKey(tt.same)
		if err != nil {
			t.Fatalf("ParseKey(%q): %v", tt.same, err)
		}
		a, _ := k.Encrypt(plain, seeded(1))
		b, _ := k2.Encrypt(plain, seeded(1))
		if !bytes.Equal(a, b) {
			t.Errorf("%q and %q are different keys", tt.in, tt.same)
		}
	}
}

func TestEncryptPadNeverDelimiter(t *testing.T) {
	key, _ := ParseKey(vecKeyHex)
	// A source of nothing but delimiters then 'Z': the pad must skip them.
	src := bytes.NewReader(append(bytes.Repeat([]byte("|[]"), 40), bytes.Repeat([]byte("Z"), 64)...))
	ct, err := key.Encrypt([]byte("|]_14:12:04,09-25-2024"), src)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := key.Decrypt(ct)
	if want := strings.Repeat("Z", 10) + "|]_14:12:04,09-25-2024"; string(plain) != want {
		t.Fatalf("plaintext %q, want %q", plain, want)
	}
	for seed := range uint64(50) {
		ct, _ := key.Encrypt([]byte("|]"), seeded(seed))
		plain, _ := key.Decrypt(ct)
		if i := bytes.IndexAny(plain, "|[]"); i != 14 {
			t.Fatalf("seed %d: first delimiter at %d in %q", seed, i, plain)
		}
	}
}

func TestUnpad(t *testing.T) {
	tests := []struct{ name, plain, account, want string }{
		{"bar", "XXXXXXXXXX|#1234|Nri1/PA015]_ts", "1234", "#1234|Nri1/PA015]_ts"},
		{"no bar, empty data", "XXXXXXXXXXXXX]_ts", "1234", "]_ts"},
		{"bar after bracket", "XXXXXXXX][X|Y]_ts", "", "][X|Y]_ts"},
		{"bar left out before account", "XXXXX#1234|Nri1/PA015]_ts", "1234", "#1234|Nri1/PA015]_ts"},
		{"bar left out, no account known", "XXXXX#1234|Nri1/PA015]_ts", "", "Nri1/PA015]_ts"},
		{"bytes not UTF-8", "\xff\xfe\x00|#1234|N]_ts", "1234", "#1234|N]_ts"},
	}
	for _, tt := range tests {
		got, err := Unpad([]byte(tt.plain), tt.account)
		if err != nil || string(got) != tt.want {
			t.Errorf("%s: Unpad(%q) = %q, %v; want %q", tt.name, tt.plain, got, err, tt.want)
		}
	}
	if _, err := Unpad([]byte("no closing bracket"), ""); err == nil {
		t.Error("Unpad without ']': no error")
	}
}

func TestEncryptedFrameRoundTrip(t *testing.T) {
	for _, keyText := range []string{"0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWX", vecKeyHex} {
		key, _ := ParseKey(keyText)
		in := Frame{ID: "SIA-DCS", Encrypted: true, Seq: "0042", Receiver: "12", Line: "3", Account: "ABC123",
			Data: []byte("#ABC123|Nri2/HA007"), Extended: []Block{{'V', "rtsp://cam/1"}}, Timestamp: "23:59:59,12-31-2025"}
		b, err := Encode(in, key, seeded(7))
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseFrame(b)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		d, err := f.Decrypt(key)
		if err != nil {
			t.Fatal(err)
		}
		if string(d.Data) != string(in.Data) || d.Timestamp != in.Timestamp || len(d.Extended) != 1 || d.Extended[0] != in.Extended[0] || d.Receiver != "12" {
			t.Fatalf("round trip: %+v", d)
		}
	}
}

func TestEncryptedACKRoundTrip(t *testing.T) {
	key, _ := ParseKey(vecKeyHex)
	req, _ := ParseFrame([]byte(vecEncrypted))
	now := time.Date(2024, 9, 25, 14, 12, 5, 0, time.UTC)
	b, err := EncryptedACK(req, key, now, seeded(3))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b[9:], []byte(`"*ACK"0007L0#1234[`)) {
		t.Fatalf("encrypted ACK %q", b)
	}
	f, err := ParseFrame(b)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := key.Decrypt(f.Ciphertext)
	if !bytes.HasSuffix(plain, []byte("|]_14:12:05,09-25-2024")) || len(plain)%16 != 0 {
		t.Fatalf("ACK plaintext %q", plain)
	}
	d, err := f.Decrypt(key)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "ACK" || !d.Encrypted || d.Seq != "0007" || len(d.Data) != 0 || d.Timestamp != "14:12:05,09-25-2024" {
		t.Fatalf("decrypted ACK %+v", d)
	}
}

func TestDecryptWrongKey(t *testing.T) {
	key, _ := ParseKey("ascii:0000000000000000")
	f, _ := ParseFrame([]byte(vecEncrypted))
	if _, err := f.Decrypt(key); err == nil {
		t.Fatal("decrypting with the wrong key: no error")
	}
}
