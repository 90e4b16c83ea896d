package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"
)

// participantFile is one file of a participant's track. Frames come in
// order, the first one a keyframe.
type participantFile interface {
	write(frame []byte, pts int64, key bool, wall time.Time) error
	fits(keyframe []byte) bool // false: the format changed, this keyframe starts a new file
	sync() error               // put what was written on disk
	close() error              // complete the file
	abandon()                  // close a file that failed: what it holds stays readable
}

// errNameTaken: a file of this name exists already.
var errNameTaken = errors.New("file exists")

func openParticipantFile(k trackKind, path string, channels int, first []byte, pts int64, wall time.Time) (participantFile, error) {
	if k == kindH264 {
		return openH264File(path, first, pts, wall)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("recording folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, errNameTaken
	}
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	var pf participantFile
	if k == kindVP8 {
		pf, err = newIVFFile(f, first, pts)
	} else {
		pf, err = newOggFile(f, channels, first, pts)
	}
	if err != nil {
		_ = f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("start recording %s: %w", path, err)
	}
	return pf, nil
}

// ivfFile writes VP8 frames to IVF with pion's writer, timed by the RTP
// clock (1/90000 s).
type ivfFile struct {
	f           *os.File
	w           *ivfwriter.IVFWriter
	pkt         rtp.Packet
	buf         []byte
	first, last int64 // PTS of the first and newest frames
	frames      int64
}

// fileOnly hides Close from pion's writer: the file is closed after its
// header gets the duration.
type fileOnly struct{ f *os.File }

func (w fileOnly) Write(p []byte) (int, error)               { return w.f.Write(p) }
func (w fileOnly) Seek(off int64, whence int) (int64, error) { return w.f.Seek(off, whence) }

func newIVFFile(f *os.File, first []byte, pts int64) (*ivfFile, error) {
	width, height := vp8Size(first)
	w, err := ivfwriter.NewWith(fileOnly{f}, ivfwriter.WithCodec("video/VP8"), ivfwriter.WithFrameRate(1, 90000),
		ivfwriter.WithDirectPTS(), ivfwriter.WithWidthAndHeight(width, height))
	if err != nil {
		return nil, err
	}
	v := &ivfFile{f: f, w: w, first: pts}
	return v, v.write(first, pts, true, time.Time{})
}

// write hands the writer the frame as one RTP packet: a VP8 descriptor
// that starts a partition, then the frame.
func (v *ivfFile) write(frame []byte, pts int64, _ bool, _ time.Time) error {
	v.buf = append(append(v.buf[:0], 0x10), frame...)
	v.pkt.Marker, v.pkt.Timestamp, v.pkt.Payload = true, uint32(pts), v.buf
	if err := v.w.WriteRTP(&v.pkt); err != nil {
		return fmt.Errorf("write recording %s: %w", v.f.Name(), err)
	}
	v.last = pts
	v.frames++
	return nil
}

// fits: a VP8 keyframe of a new size goes on in the same file.
func (v *ivfFile) fits([]byte) bool { return true }

func (v *ivfFile) sync() error { return syncFile(v.f) }

// close puts the duration in the header, syncs and closes. The header's
// "length" field holds the frame count for pion's writer but the duration
// in time-base units for FFmpeg (and so for most players), whose own IVF
// muxer writes it so: the duration is written, the last frame counted at
// the average frame interval.
func (v *ivfFile) close() error {
	err := v.w.Close() // writes the frame count at offset 24
	if err == nil && v.frames > 1 {
		span := v.last - v.first
		length := min(span+span/(v.frames-1), math.MaxUint32)
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(length))
		_, err = v.f.WriteAt(b[:], 24)
	}
	if err == nil {
		err = v.f.Sync()
	}
	if cerr := v.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close recording %s: %w", v.f.Name(), err)
	}
	return nil
}

func (v *ivfFile) abandon() { _ = v.f.Close() }

// vp8Size reads the picture size of a VP8 keyframe (RFC 6386, 9.1).
func vp8Size(frame []byte) (width, height uint16) {
	if len(frame) < 10 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 640, 480
	}
	return uint16(frame[6]) | uint16(frame[7]&0x3f)<<8, uint16(frame[8]) | uint16(frame[9]&0x3f)<<8
}

// oggFile writes Opus packets to Ogg with pion's writer. A gap in the RTP
// timestamps (lost packets) is filled with silence, so the file stays as
// long as the time it covers.
type oggFile struct {
	f    *os.File
	w    *oggwriter.OggWriter
	next int64 // the RTP time the next packet should start at
	pkt  rtp.Packet
}

// opusSilence is a 20 ms Opus frame of silence (CELT, full band).
const opusSilence = "\xf8\xff\xfe"

const opusSilenceTicks = 960

// maxOpusFill bounds the silence put in one gap: 5 s.
const maxOpusFill = 250

func newOggFile(f *os.File, channels int, first []byte, pts int64) (*oggFile, error) {
	w, err := oggwriter.NewWith(f, 48000, uint16(channels))
	if err != nil {
		return nil, err
	}
	o := &oggFile{f: f, w: w, next: pts}
	return o, o.write(first, pts, true, time.Time{})
}

func (o *oggFile) write(packet []byte, pts int64, _ bool, _ time.Time) error {
	ticks := opusTicks(packet)
	if ticks == 0 {
		return nil // not an Opus packet
	}
	if pts < o.next-int64(ticks)/2 {
		return nil // overlaps what is written already
	}
	for n := 0; pts-o.next >= opusSilenceTicks && n < maxOpusFill; n++ {
		if err := o.put([]byte(opusSilence)); err != nil {
			return err
		}
		o.next += opusSilenceTicks
	}
	if err := o.put(packet); err != nil {
		return err
	}
	o.next = pts + int64(ticks)
	return nil
}

func (o *oggFile) put(payload []byte) error {
	o.pkt.Payload = payload
	if err := o.w.WriteRTP(&o.pkt); err != nil {
		return fmt.Errorf("write recording %s: %w", o.f.Name(), err)
	}
	return nil
}

func (o *oggFile) fits([]byte) bool { return true }

func (o *oggFile) sync() error { return syncFile(o.f) }

func (o *oggFile) close() error {
	err := syncFile(o.f)
	if cerr := o.w.Close(); err == nil && cerr != nil { // closes f
		err = fmt.Errorf("close recording %s: %w", o.f.Name(), cerr)
	}
	return err
}

func (o *oggFile) abandon() { _ = o.f.Close() }

// opusTicks is the duration of an Opus packet at 48 kHz (RFC 6716, 3.1);
// 0 for a packet too short to tell.
func opusTicks(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	config := int(p[0] >> 3)
	var frame int // in 1/400 s (2.5 ms)
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = []int{4, 8, 16, 24}[config%4]
	case config < 16: // hybrid: 10, 20 ms
		frame = []int{4, 8}[config%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []int{1, 2, 4, 8}[config%4]
	}
	frames := 1
	switch p[0] & 0x03 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0
		}
		frames = int(p[1] & 0x3f)
	}
	return frame * frames * 120
}

// h264File writes H.264 frames with the cameras' fragmented MP4 writer.
type h264File struct {
	w *fragmentedFile
}

func openH264File(path string, first []byte, pts int64, wall time.Time) (participantFile, error) {
	u := h264Unit(first, pts, wall, true)
	if u == nil || !u.key {
		return nil, errors.New("H.264 keyframe without SPS and PPS")
	}
	w, err := createFragmented(path, u)
	if errors.Is(err, os.ErrExist) {
		return nil, errNameTaken
	}
	if err != nil {
		return nil, err
	}
	return &h264File{w: w}, nil
}

func (h *h264File) write(frame []byte, pts int64, key bool, wall time.Time) error {
	u := h264Unit(frame, pts, wall, key)
	if u == nil {
		return nil
	}
	return h.w.write(u)
}

// fits is false when the keyframe's SPS or PPS differ from the file's: a
// browser that changes resolution starts a new file.
func (h *h264File) fits(keyframe []byte) bool {
	u := h264Unit(keyframe, 0, time.Time{}, true)
	return u == nil || !u.key || h.w.sameFormat(u)
}

// sync has nothing to do: each fragment is synced when written.
func (h *h264File) sync() error { return nil }

func (h *h264File) close() error { return h.w.close() }

func (h *h264File) abandon() { _ = h.w.f.Close() }

// h264Unit turns an Annex B frame into a recorded unit; nil when empty.
func h264Unit(frame []byte, pts int64, wall time.Time, key bool) *unit {
	var au h264.AnnexB
	if err := au.Unmarshal(frame); err != nil {
		return nil
	}
	return newUnit(CodecH264, pts, wall, au, key)
}

// h264HasIDR tells whether an Annex B frame holds an IDR picture.
func h264HasIDR(frame []byte) bool {
	var au h264.AnnexB
	if err := au.Unmarshal(frame); err != nil {
		return false
	}
	return h264.IsRandomAccess(au)
}

func syncFile(f *os.File) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync recording %s: %w", f.Name(), err)
	}
	return nil
}
