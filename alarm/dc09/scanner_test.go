package dc09

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// scanAll returns the frames and the dropped-byte reports of input.
func scanAll(t testing.TB, r io.Reader) (frames []string, drops []string) {
	s := NewScanner(r)
	for range 10000 {
		f, err := s.Next()
		var se *ScanError
		switch {
		case errors.As(err, &se):
			drops = append(drops, se.Reason)
		case err == io.EOF:
			return frames, drops
		case err != nil:
			t.Fatalf("Next: %v", err)
		default:
			frames = append(frames, string(f))
		}
	}
	t.Fatal("scanner does not end")
	return nil, nil
}

// chunks reads data in the given sizes, then the rest.
type chunks struct {
	data  []byte
	sizes []int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n, c.sizes = min(c.sizes[0], n), c.sizes[1:]
	}
	n = copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestScanner(t *testing.T) {
	a, b, c := vecCIDPanic, vecSIAPA, vecNULL
	binCRC := func(v string) string {
		crc := CRC([]byte(v[8:]))
		return string([]byte{byte(crc >> 8), byte(crc)}) + v[4:]
	}
	bin := binCRC(vecCIDRest)
	// A binary CRC whose raw bytes are LF and CR (CRC 0A0D) must still frame.
	lfcr := "\n\r0045" + `"ADM-CID"0002L0#1234[#1234|3120 01 015][Vx200019]_14:12:04,09-25-2024`
	long := "\n" + a[:9] + strings.Repeat("x", 3*MaxLine)
	tests := []struct {
		name   string
		in     string
		sizes  []int
		frames []string
		drops  []string
	}{
		{"one", wire(a), nil, []string{a}, nil},
		{"three in one read", wire(a) + wire(b) + wire(c), nil, []string{a, b, c}, nil},
		{"split across reads", wire(a) + wire(b), []int{5, 30, 1, 1, 40}, []string{a, b}, nil},
		{"one byte at a time", wire(a) + wire(b), repeat(1, 200), []string{a, b}, nil},
		{"garbage before LF", "hello" + wire(a), nil, []string{a}, []string{"garbage before LF"}},
		{"garbage with LF", "junk\nmore junk here\n" + wire(a), nil, []string{a}, []string{"garbage before LF", "garbage before LF"}},
		{"NULs after CR", wire(a) + "\x00\x00\x00" + wire(b) + "\x00", nil, []string{a, b}, nil},
		{"CRLF line ends", wire(a) + "\n" + wire(b), nil, []string{a, b}, nil},
		{"binary CRC", wire(bin) + wire(a), nil, []string{bin, a}, nil},
		{"binary CRC bytes LF CR", wire(lfcr) + wire(a), nil, []string{lfcr, a}, nil},
		{"cut short by a new frame", "\n" + a[:30] + wire(b), nil, []string{b}, []string{"frame cut short by a new LF"}},
		{"over-long line", long + wire(a), []int{700, 700, 700, 700, 700, 700, 700, 700, 700}, []string{a}, []string{"line over 2048 bytes without CR"}},
		{"over-long line then garbage", long + "zz" + wire(a), nil, []string{a}, []string{"line over 2048 bytes without CR"}},
		{"ends inside a frame", wire(a) + "\n" + b[:20], nil, []string{a}, []string{"input ended inside a frame"}},
		{"ends in garbage", wire(a) + "zz", nil, []string{a}, []string{"garbage at the end of the input"}},
		{"empty", "", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames, drops := scanAll(t, &chunks{data: []byte(tt.in), sizes: tt.sizes})
			if !equal(frames, tt.frames) || !equal(drops, tt.drops) {
				t.Fatalf("frames %q drops %q\nwant   %q drops %q", frames, drops, tt.frames, tt.drops)
			}
			for _, f := range frames {
				if _, err := ParseFrame([]byte(f)); err != nil {
					t.Errorf("frame %q does not parse: %v", f, err)
				}
			}
		})
	}
}

func repeat(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScannerReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader(wire(vecNULL)), iotest.ErrReader(boom))
	s := NewScanner(r)
	if f, err := s.Next(); err != nil || string(f) != vecNULL {
		t.Fatalf("Next = %q, %v", f, err)
	}
	for range 3 {
		if _, err := s.Next(); !errors.Is(err, boom) {
			t.Fatalf("Next = %v, want boom", err)
		}
	}
}

func TestScannerReset(t *testing.T) {
	s := NewScanner(strings.NewReader("\n" + vecNULL[:20]))
	s.Next()
	s.Reset(bytes.NewReader([]byte(wire(vecACKCID))))
	if f, err := s.Next(); err != nil || string(f) != vecACKCID {
		t.Fatalf("after Reset: %q, %v", f, err)
	}
}
