package dc09

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Key is an AES-128, -192 or -256 key for the CBC mode DC-09 uses, with an
// IV of 16 zero bytes and no PKCS padding.
type Key struct {
	block cipher.Block
}

// ParseKey reads a key as configured on the panel: 32, 48 or 64 hex digits,
// or 16, 24 or 32 characters taken as they are. A 32-character key made only
// of hex digits is read as hex (AES-128); write "ascii:" before it to mean
// the characters themselves (AES-256), or "hex:" to say so explicitly.
func ParseKey(s string) (Key, error) {
	var raw []byte
	switch {
	case strings.HasPrefix(s, "hex:"):
		b, err := hex.DecodeString(s[4:])
		if err != nil || !aesLen(len(b)) {
			return Key{}, errf("key", "hex: want 32, 48 or 64 hex digits")
		}
		raw = b
	case strings.HasPrefix(s, "ascii:"):
		raw = []byte(s[6:])
	case len(s) >= 32 && aesLen(len(s)/2) && len(s)%2 == 0 && isHexString(s):
		raw, _ = hex.DecodeString(s)
	default:
		raw = []byte(s)
	}
	if !aesLen(len(raw)) {
		return Key{}, errf("key", "want 16, 24 or 32 characters or 32, 48 or 64 hex digits, got %d characters", len(s))
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return Key{}, errf("key", "%v", err)
	}
	return Key{block: block}, nil
}

func aesLen(n int) bool { return n == 16 || n == 24 || n == 32 }

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

// Valid reports whether k holds a key (the zero Key does not).
func (k Key) Valid() bool { return k.block != nil }

// Decrypt turns the hex ciphertext into plaintext bytes (not UTF-8: bytes).
func (k Key) Decrypt(hexText []byte) ([]byte, error) {
	if !k.Valid() {
		return nil, errf("key", "no key")
	}
	ct := make([]byte, hex.DecodedLen(len(hexText)))
	if _, err := hex.Decode(ct, hexText); err != nil {
		return nil, errf("ciphertext", "%v", err)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, errf("ciphertext", "%d bytes is not a whole number of blocks", len(ct))
	}
	cipher.NewCBCDecrypter(k.block, make([]byte, aes.BlockSize)).CryptBlocks(ct, ct)
	return ct, nil
}

// Encrypt pads body in front with random bytes (never '|', '[' or ']') to a
// whole number of blocks, at least one pad byte, and returns the ciphertext
// in upper-case hex. body is what follows the pad: "|" data "]" [xdata]
// "_" timestamp.
func (k Key) Encrypt(body []byte, rnd io.Reader) ([]byte, error) {
	if !k.Valid() {
		return nil, errf("key", "no key")
	}
	padLen := aes.BlockSize - len(body)%aes.BlockSize
	pt := make([]byte, padLen+len(body))
	if err := randomPad(pt[:padLen], rnd); err != nil {
		return nil, err
	}
	copy(pt[padLen:], body)
	cipher.NewCBCEncrypter(k.block, make([]byte, aes.BlockSize)).CryptBlocks(pt, pt)
	return []byte(strings.ToUpper(hex.EncodeToString(pt))), nil
}

func randomPad(pad []byte, rnd io.Reader) error {
	var b [1]byte
	for i := range pad {
		for {
			if _, err := io.ReadFull(rnd, b[:]); err != nil {
				return fmt.Errorf("dc09: pad: %w", err)
			}
			if c := b[0]; c != '|' && c != '[' && c != ']' {
				pad[i] = c
				break
			}
		}
	}
	return nil
}

// Unpad removes the random pad in front of decrypted plaintext. The pad
// ends at the first '|' when one comes before the first ']', otherwise at the
// first ']' (panels that leave out the '|'). For a panel that leaves out the
// '|' in front of "#acct|...", the pad is cut before "#acct" when account is
// given and the text before the first '|' ends with it.
func Unpad(plain []byte, account string) ([]byte, error) {
	bar := bytes.IndexByte(plain, '|')
	end := bytes.IndexByte(plain, ']')
	if end < 0 {
		return nil, errf("pad", "no ']' in the plaintext: wrong key?")
	}
	if bar < 0 || bar > end {
		return plain[end:], nil
	}
	if account != "" && bar > 0 && plain[0] != '|' {
		mark := "#" + account
		i := bar - len(mark)
		if i >= 0 && string(plain[i:bar]) == mark && !bytes.HasPrefix(plain[bar+1:], []byte(mark+"|")) {
			return plain[i:], nil
		}
	}
	return plain[bar+1:], nil
}

// Decrypt returns f with its Data, Extended and Timestamp read from the
// decrypted Ciphertext. Encrypted stays true: the reply must be encrypted too.
func (f Frame) Decrypt(k Key) (Frame, error) {
	if !f.Encrypted {
		return f, nil
	}
	plain, err := k.Decrypt(f.Ciphertext)
	if err != nil {
		return Frame{}, err
	}
	content, err := Unpad(plain, f.Account)
	if err != nil {
		return Frame{}, err
	}
	out := f
	out.Extended = nil
	if err := parseContent(content, &out); err != nil {
		return Frame{}, err
	}
	return out, nil
}
