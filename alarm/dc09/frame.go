package dc09

import (
	"bytes"
	"fmt"
	"strconv"
	"time"
)

// Frame is one parsed DC-09 frame. The echo fields (Seq, Receiver, Line,
// Account) hold exactly the characters that came, so that a reply repeats
// them byte for byte.
type Frame struct {
	ID          string // "SIA-DCS", "ADM-CID", "NULL", "ACK", "NAK", "DUH"..., without the '*'
	Encrypted   bool   // the ID had a leading '*': the bracketed part is ciphertext
	Seq         string // 4 decimal digits
	Receiver    string // hex digits after 'R'; "" when the frame had no R field
	Line        string // hex digits after 'L'; "" when the frame had no L field
	Account     string // hex digits of the account; "" when absent
	AccountMark byte   // '#' (every message), or 'A' in the receiver's NAK ("R0L0A0")

	Data       []byte  // the first bracketed block, without brackets (after Decrypt when Encrypted)
	Extended   []Block // the extended data blocks that follow it: [V...], [X...], [H...]...
	Timestamp  string  // HH:MM:SS,MM-DD-YYYY without the '_'; "" when absent
	Ciphertext []byte  // Encrypted only: the hex digits after '['

	CRC           uint16 // the CRC the frame carried (and matched)
	BinaryCRC     bool   // the CRC came as 2 raw bytes instead of 4 hex characters
	DecimalLength bool   // the length field only matched read as decimal: worth a warning
	Body          []byte // the bytes the CRC and length cover, from the first '"'
}

// Block is one extended data block, such as [Vhttps://vms/ev/42]: Kind 'V'.
type Block struct {
	Kind  byte
	Value string
}

// Time returns the frame's timestamp read in loc (UTC when nil); ok is false
// when the frame has none.
func (f Frame) Time(loc *time.Location) (t time.Time, ok bool) {
	if f.Timestamp == "" {
		return time.Time{}, false
	}
	t, err := ParseTimestamp(f.Timestamp, loc)
	return t, err == nil
}

// ParseTimestamp reads "HH:MM:SS,MM-DD-YYYY" in loc (UTC when nil). (Go's
// time layouts read ",01" after the seconds as a fraction: hence by hand.)
func ParseTimestamp(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	const pattern = "dd:dd:dd,dd-dd-dddd"
	bad := errf("timestamp", "%s is not HH:MM:SS,MM-DD-YYYY", quote([]byte(s)))
	if len(s) != len(pattern) {
		return time.Time{}, bad
	}
	for i := range len(pattern) {
		if pattern[i] == 'd' && !isDigit(s[i]) || pattern[i] != 'd' && s[i] != pattern[i] {
			return time.Time{}, bad
		}
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range s[i : i+n] {
			v = v*10 + int(c-'0')
		}
		return v
	}
	hh, mi, ss, mo, dd, yy := num(0, 2), num(3, 2), num(6, 2), num(9, 2), num(12, 2), num(15, 4)
	t := time.Date(yy, time.Month(mo), dd, hh, mi, ss, 0, loc)
	if hh > 23 || mi > 59 || ss > 59 || t.Month() != time.Month(mo) || t.Day() != dd {
		return time.Time{}, bad
	}
	return t, nil
}

// ParseError says which part of a frame is wrong and why.
type ParseError struct {
	Field  string // "frame", "crc", "length", "id", "seq", "receiver", "line", "account", "data", "block", "timestamp", "ciphertext", "key", "pad"
	Reason string
}

func (e *ParseError) Error() string { return "dc09: " + e.Field + ": " + e.Reason }

func errf(field, format string, args ...any) *ParseError {
	return &ParseError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ParseFrame parses one frame: CRC (4 hex characters, or 2 raw bytes), the
// 4-character length, then the body. A leading LF and a trailing CR are
// optional. The Frame owns its bytes: b may be reused afterwards. An
// encrypted frame comes back with its Ciphertext set; call Decrypt for the
// rest.
func ParseFrame(b []byte) (Frame, error) {
	if len(b) > 0 && b[0] == '\n' && !headerAt(b) {
		b = b[1:] // the frame's LF, not a raw CRC byte that happens to be LF
	}
	b = bytes.Clone(bytes.TrimSuffix(b, []byte{'\r'}))
	var f Frame
	lenField, err := checkHeader(b, &f)
	if err != nil {
		return Frame{}, err
	}
	if err := checkLength(lenField, len(f.Body), &f); err != nil {
		return Frame{}, err
	}
	if err := parseBody(f.Body, &f); err != nil {
		return Frame{}, err
	}
	return f, nil
}

// headerAt reports whether b starts with a CRC and length field: the '"'
// opening the body comes after 4 hex characters and the length, or after 2
// raw bytes and the length.
func headerAt(b []byte) bool {
	return len(b) > 8 && b[8] == '"' || len(b) > 6 && b[6] == '"'
}

// checkHeader finds the CRC field and the body, verifies the CRC and returns
// the length field. Hex CRC first ('"' at offset 8), then binary (offset 6).
func checkHeader(b []byte, f *Frame) (lenField []byte, err error) {
	switch {
	case len(b) > 8 && b[8] == '"':
		v, ok := parseHex16(b[0:4])
		if !ok {
			return nil, errf("crc", "%s is not 4 hex digits", quote(b[0:4]))
		}
		f.CRC, f.Body, lenField = v, b[8:], b[4:8]
	case len(b) > 6 && b[6] == '"':
		f.CRC, f.Body, lenField, f.BinaryCRC = uint16(b[0])<<8|uint16(b[1]), b[6:], b[2:6], true
	default:
		return nil, errf("frame", "no '\"' after the CRC and length fields in %s", quote(b))
	}
	got := CRC(f.Body)
	if got == f.CRC {
		return lenField, nil
	}
	if f.BinaryCRC && got == f.CRC<<8|f.CRC>>8 { // raw bytes sent low byte first
		f.CRC = got
		return lenField, nil
	}
	return nil, errf("crc", "frame carries %04X, body computes %04X", f.CRC, got)
}

// checkLength accepts the length in hex, or in decimal with DecimalLength set.
func checkLength(field []byte, n int, f *Frame) error {
	if v, ok := parseHex16(field); ok && int(v) == n {
		return nil
	}
	if v, err := strconv.Atoi(string(field)); err == nil && v == n && isDigits(field) {
		f.DecimalLength = true
		return nil
	}
	return errf("length", "field %s does not match the body's %d bytes (%04X)", quote(field), n, n)
}

// parseBody reads "ID"seq[Rr][Ll]#acct[...
func parseBody(b []byte, f *Frame) error {
	end := bytes.IndexByte(b[1:], '"')
	if end < 0 {
		return errf("id", "no closing '\"'")
	}
	id := b[1 : 1+end]
	if len(id) > 0 && id[0] == '*' {
		f.Encrypted, id = true, id[1:]
	}
	if !validID(id) {
		return errf("id", "%s is not a message type", quote(id))
	}
	f.ID = string(id)
	rest := b[2+end:]
	if len(rest) < 4 || !isDigits(rest[:4]) {
		return errf("seq", "want 4 digits, got %s", quote(head(rest, 4)))
	}
	f.Seq, rest = string(rest[:4]), rest[4:]
	rest, err := parseRouting(rest, f)
	if err != nil {
		return err
	}
	if len(rest) == 0 || rest[0] != '[' {
		return errf("data", "want '[' after the account, got %s", quote(head(rest, 8)))
	}
	if f.Encrypted {
		return parseCiphertext(rest[1:], f)
	}
	return parseContent(rest[1:], f)
}

// parseRouting reads the optional R, L and account fields.
func parseRouting(b []byte, f *Frame) ([]byte, error) {
	nak := f.ID == "NAK"
	var err error
	if len(b) > 0 && b[0] == 'R' {
		if f.Receiver, b, err = hexField(b[1:], "receiver", 1, 6, false); err != nil {
			return nil, err
		}
	}
	if len(b) > 0 && b[0] == 'L' {
		if f.Line, b, err = hexField(b[1:], "line", 1, 6, nak); err != nil {
			return nil, err
		}
	}
	switch {
	case len(b) > 0 && b[0] == '#':
		f.AccountMark = '#'
		f.Account, b, err = hexField(b[1:], "account", 3, 16, false)
	case nak && len(b) > 0 && b[0] == 'A':
		f.AccountMark = 'A'
		f.Account, b, err = hexField(b[1:], "account", 1, 16, false)
	}
	return b, err
}

// hexField reads min to max hex digits; stopAtA ends the run before an 'A'
// (the NAK's "L0A0", where 'A' marks the account).
func hexField(b []byte, field string, min, max int, stopAtA bool) (string, []byte, error) {
	n := 0
	for n < len(b) && isHex(b[n]) && !(stopAtA && b[n] == 'A') {
		n++
	}
	if n < min || n > max {
		return "", nil, errf(field, "want %d to %d hex digits, got %s", min, max, quote(head(b, max+1)))
	}
	return string(b[:n]), b[n:], nil
}

// parseContent reads what follows the '[': data ']' [blocks] [_timestamp].
// Shared by clear frames and decrypted plaintext.
func parseContent(b []byte, f *Frame) error {
	end := bytes.IndexByte(b, ']')
	if end < 0 {
		return errf("data", "no closing ']'")
	}
	f.Data, b = b[:end], b[end+1:]
	for len(b) > 0 && b[0] == '[' {
		end := bytes.IndexByte(b, ']')
		if end < 0 {
			return errf("block", "no closing ']' in %s", quote(head(b, 24)))
		}
		if end > 1 {
			f.Extended = append(f.Extended, Block{Kind: b[1], Value: string(b[2:end])})
		}
		b = b[end+1:]
	}
	if len(b) > 0 && b[0] == '_' {
		ts := string(b[1:])
		if _, err := ParseTimestamp(ts, nil); err != nil {
			return err
		}
		f.Timestamp, b = ts, nil
	}
	if len(b) > 0 {
		return errf("data", "unexpected %s after the data", quote(head(b, 16)))
	}
	return nil
}

func parseCiphertext(b []byte, f *Frame) error {
	if len(b) == 0 || len(b)%32 != 0 {
		return errf("ciphertext", "%d hex digits is not a whole number of 16-byte blocks", len(b))
	}
	for _, c := range b {
		if !isHex(c) {
			return errf("ciphertext", "%s is not a hex digit", quote([]byte{c}))
		}
	}
	f.Ciphertext = b
	return nil
}

func validID(id []byte) bool {
	if len(id) == 0 || len(id) > 16 {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func parseHex16(b []byte) (uint16, bool) {
	if len(b) != 4 {
		return 0, false
	}
	var v uint16
	for _, c := range b {
		d, ok := hexVal(c)
		if !ok {
			return 0, false
		}
		v = v<<4 | uint16(d)
	}
	return v, true
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func isHex(c byte) bool { _, ok := hexVal(c); return ok }

func isDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func head(b []byte, n int) []byte { return b[:min(n, len(b))] }

func quote(b []byte) string { return `"` + Escape(b) + `"` }

// Escape returns b as text with every byte outside printable ASCII, and the
// backslash, written as \xNN: safe to log and to store.
func Escape(b []byte) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '\\' {
			out = append(out, c)
			continue
		}
		out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
	}
	return string(out)
}
