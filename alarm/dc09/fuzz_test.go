package dc09

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func FuzzParseFrame(f *testing.F) {
	for _, v := range allVectors {
		f.Add([]byte(v))
		f.Add([]byte(wire(v)))
	}
	key, _ := ParseKey(vecKeyHex)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFrame(t, b, key)
		if len(b) < 0xFFFF {
			checkFrame(t, []byte(frameOf(string(b))), key) // b as a body with a right CRC
		}
	})
}

func checkFrame(t *testing.T, b []byte, key Key) {
	fr, err := ParseFrame(b)
	if err != nil {
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Fatalf("error %v is not a *ParseError", err)
		}
		return
	}
	if CRC(fr.Body) != fr.CRC {
		t.Fatalf("accepted a frame whose CRC does not match")
	}
	if fr.Encrypted {
		if d, err := fr.Decrypt(key); err == nil {
			_ = ACK(d)
		}
		return
	}
	// What parses can be written back, and writing it again changes nothing.
	out, err := Encode(fr, Key{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseFrame(out)
	if err != nil {
		t.Fatalf("re-encoded %q does not parse: %v", out, err)
	}
	if out2, _ := Encode(again, Key{}, nil); !bytes.Equal(out, out2) {
		t.Fatalf("encoding is not stable: %q then %q", out, out2)
	}
	_, _ = ParseContactID(fr.Data)
	_, _ = ParseSIA(fr.Data)
	_ = ACK(fr)
	_ = DUH(fr)
}

func FuzzScanner(f *testing.F) {
	f.Add([]byte(wire(vecCIDPanic)+"\x00\x00"+wire(vecSIAPA)), uint8(7))
	f.Add([]byte("junk\n"+vecNULL[:10]+wire(vecACKCID)), uint8(1))
	f.Add(bytes.Repeat([]byte("\n0000000A\""), 300), uint8(3))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		whole, _ := scanAll(t, bytes.NewReader(in))
		var r io.Reader = bytes.NewReader(in)
		if chunk%2 == 0 {
			r = iotest.OneByteReader(r)
		} else {
			r = &chunks{data: in, sizes: repeat(int(chunk), len(in))}
		}
		pieces, _ := scanAll(t, r)
		if !equal(whole, pieces) {
			t.Fatalf("read whole: %q\nin pieces: %q", whole, pieces)
		}
		for _, fr := range whole {
			if len(fr) > MaxLine || strings.ContainsAny(fr[min(6, len(fr)):], "\r\n") {
				t.Fatalf("frame %q: too long or holds a CR in its body", fr)
			}
		}
	})
}
