package dc09

import (
	"bytes"
	"fmt"
	"io"
)

// MaxLine bounds a frame, from its LF to its CR: a longer line is dropped.
const MaxLine = 2048

// ScanError reports bytes the Scanner dropped; scanning goes on after it.
type ScanError struct {
	Reason string
	Bytes  int // how many bytes were dropped
}

func (e *ScanError) Error() string {
	return fmt.Sprintf("dc09: %s (%d bytes dropped)", e.Reason, e.Bytes)
}

// Scanner splits a byte stream into frames. It resynchronises on the next LF
// after garbage, returns several frames from one read and joins a frame split
// across reads; NUL bytes and blanks between frames are skipped silently. Its
// buffer is fixed: a line over MaxLine bytes without a CR is dropped.
type Scanner struct {
	r          io.Reader
	buf        []byte
	start, end int
	skipping   bool // dropping the rest of an over-long line, up to the next LF
	junk       int  // garbage bytes skipped and not reported yet
	err        error
}

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: r, buf: make([]byte, 2*MaxLine+64)}
}

// Reset makes s read r from scratch, keeping its buffer.
func (s *Scanner) Reset(r io.Reader) {
	*s = Scanner{r: r, buf: s.buf}
}

// Next returns the next frame, without its LF and CR. The slice is valid
// until the next call. A *ScanError reports dropped bytes: call Next again.
// At the end of the input Next returns io.EOF, or the read error.
func (s *Scanner) Next() ([]byte, error) {
	for {
		frame, more, err := s.step()
		if frame != nil || err != nil {
			return frame, err
		}
		if !more {
			continue
		}
		if s.err != nil {
			return nil, s.finish()
		}
		s.fill()
	}
}

// step looks at the buffer. It returns a frame, an error to report, or
// more=true when it needs more input; with none of these, call it again.
func (s *Scanner) step() (frame []byte, more bool, err error) {
	b := s.buf[s.start:s.end]
	i := bytes.IndexByte(b, '\n')
	if s.skipping {
		if i < 0 {
			s.start = s.end
			return nil, true, nil
		}
		s.start, s.skipping = s.start+i, false
		return nil, false, nil
	}
	if i < 0 {
		s.junk += significant(b)
		s.start = s.end
		return nil, true, nil
	}
	s.junk += significant(b[:i])
	s.start += i
	if s.junk > 0 {
		return nil, false, s.reportJunk("garbage before LF")
	}
	return s.candidate(b[i:])
}

// candidate reads a frame starting at the LF b[0].
func (s *Scanner) candidate(b []byte) (frame []byte, more bool, err error) {
	var body int
	switch {
	case len(b) > 7 && b[7] == '"':
		body = 7 // binary CRC: LF, 2 raw bytes, 4 length characters
	case len(b) > 9 && b[9] == '"':
		body = 9 // LF, 4 hex CRC, 4 length characters
	case len(b) > 9:
		s.start++ // this LF starts no frame: look for the next one
		return nil, false, nil
	default:
		return nil, true, nil
	}
	stop := bytes.IndexAny(b[body:], "\r\n")
	switch {
	case stop >= 0 && b[body+stop] == '\r':
		s.start += body + stop + 1
		return b[1 : body+stop], false, nil
	case stop >= 0:
		s.start += body + stop
		return nil, false, &ScanError{Reason: "frame cut short by a new LF", Bytes: body + stop}
	case len(b) > MaxLine:
		s.start, s.skipping = s.end, true
		return nil, false, &ScanError{Reason: fmt.Sprintf("line over %d bytes without CR", MaxLine), Bytes: len(b)}
	}
	return nil, true, nil
}

func (s *Scanner) reportJunk(reason string) error {
	n := s.junk
	s.junk = 0
	return &ScanError{Reason: reason, Bytes: n}
}

// fill compacts the buffer and reads once into it. The buffer never holds
// more than MaxLine+1 pending bytes, so there is always room.
func (s *Scanner) fill() {
	if s.start > 0 {
		s.end = copy(s.buf, s.buf[s.start:s.end])
		s.start = 0
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if err != nil {
			s.err = err // hand out what came with it first
			return
		}
		if n > 0 {
			return
		}
	}
	s.err = io.ErrNoProgress
}

// finish reports what the ended input left unfinished, then the end itself.
func (s *Scanner) finish() error {
	if rest := s.buf[s.start:s.end]; significant(rest) > 0 && !s.skipping {
		s.start = s.end
		return &ScanError{Reason: "input ended inside a frame", Bytes: len(rest)}
	}
	s.start, s.skipping = s.end, false
	if s.junk > 0 {
		return s.reportJunk("garbage at the end of the input")
	}
	return s.err
}

// significant counts bytes that are neither NUL nor blanks.
func significant(b []byte) int {
	n := 0
	for _, c := range b {
		if c != 0 && c != '\r' && c != '\n' && c != ' ' && c != '\t' {
			n++
		}
	}
	return n
}
