package dc09

import (
	"fmt"
	"io"
	"time"
)

// FormatTimestamp writes t as a DC-09 timestamp, HH:MM:SS,MM-DD-YYYY, in
// t's own location.
func FormatTimestamp(t time.Time) string {
	return fmt.Sprintf("%02d:%02d:%02d,%02d-%02d-%04d", t.Hour(), t.Minute(), t.Second(), t.Month(), t.Day(), t.Year())
}

// Encode writes f as a frame, LF to CR: ID, Seq, Receiver, Line, Account
// (after AccountMark, '#' when zero), then Data, Extended and Timestamp. When
// f.Encrypted, the bracketed part is encrypted with key and padded with bytes
// from rnd; otherwise key and rnd are not used. Fields that are empty are not
// written.
func Encode(f Frame, key Key, rnd io.Reader) ([]byte, error) {
	body := make([]byte, 0, 64+len(f.Data))
	body = append(body, '"')
	if f.Encrypted {
		body = append(body, '*')
	}
	body = append(body, f.ID...)
	body = append(body, '"')
	body = append(body, f.Seq...)
	body = appendField(body, 'R', f.Receiver)
	body = appendField(body, 'L', f.Line)
	mark := f.AccountMark
	if mark == 0 {
		mark = '#'
	}
	body = appendField(body, mark, f.Account)
	body = append(body, '[')
	content := appendContent(nil, f)
	if !f.Encrypted {
		body = append(body, content...)
		return wrap(body), nil
	}
	ct, err := key.Encrypt(append([]byte{'|'}, content...), rnd)
	if err != nil {
		return nil, err
	}
	return wrap(append(body, ct...)), nil
}

func appendField(b []byte, mark byte, v string) []byte {
	if v == "" {
		return b
	}
	return append(append(b, mark), v...)
}

// appendContent writes data ']' [blocks] [_timestamp].
func appendContent(b []byte, f Frame) []byte {
	b = append(b, f.Data...)
	b = append(b, ']')
	for _, x := range f.Extended {
		b = append(b, '[', x.Kind)
		b = append(b, x.Value...)
		b = append(b, ']')
	}
	if f.Timestamp != "" {
		b = append(append(b, '_'), f.Timestamp...)
	}
	return b
}

// wrap adds LF, CRC, length and CR around body.
func wrap(body []byte) []byte {
	out := make([]byte, 0, len(body)+10)
	out = append(out, '\n')
	out = fmt.Appendf(out, "%04X%04X", CRC(body), len(body))
	out = append(out, body...)
	return append(out, '\r')
}

// echo is the reply id with the request's Seq, Receiver, Line and Account,
// exactly as they came; absent fields stay absent.
func echo(id string, req Frame) Frame {
	return Frame{ID: id, Seq: req.Seq, Receiver: req.Receiver, Line: req.Line, Account: req.Account, AccountMark: req.AccountMark}
}

// ACK acknowledges a clear-text frame: "ACK"seq[R][L]#acct[].
func ACK(req Frame) []byte {
	b, _ := Encode(echo("ACK", req), Key{}, nil) // clear text: cannot fail
	return b
}

// EncryptedACK acknowledges an encrypted frame: "*ACK"seq[R][L]#acct[ then
// the ciphertext of pad|]_timestamp, with now as the timestamp (in the
// location the panel expects).
func EncryptedACK(req Frame, key Key, now time.Time, rnd io.Reader) ([]byte, error) {
	f := echo("ACK", req)
	f.Encrypted, f.Timestamp = true, FormatTimestamp(now)
	return Encode(f, key, rnd)
}

// NAK refuses a frame, never encrypted, with the receiver's time so that the
// panel can set its clock: "NAK"0000R0L0A0[]_HH:MM:SS,MM-DD-YYYY.
func NAK(now time.Time) []byte {
	f := Frame{ID: "NAK", Seq: "0000", Receiver: "0", Line: "0", Account: "0", AccountMark: 'A', Timestamp: FormatTimestamp(now)}
	b, _ := Encode(f, Key{}, nil)
	return b
}

// DUH says the receiver cannot process a frame it could read:
// "DUH"seq[R][L]#acct[], echoing the request's fields.
func DUH(req Frame) []byte {
	b, _ := Encode(echo("DUH", req), Key{}, nil)
	return b
}
