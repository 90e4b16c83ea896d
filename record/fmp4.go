package record

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// videoClock is the MP4 time scale of video tracks: the camera's 90 kHz.
const videoClock = 90000

// fragmentTicks is how much video one fragment holds: a crash loses at
// most this much.
const fragmentTicks = videoClock

// defaultSampleTicks is the duration given to the very last sample of a
// file, whose successor is unknown, when no earlier sample gives one.
const defaultSampleTicks = videoClock / 25

// fragmentedFile writes one fragmented MP4 file: the header (ftyp+moov)
// when created, then one fragment (moof+mdat) about every second, each
// written whole and synced to disk before the next begins. A file cut by
// a crash keeps every fragment but the one being written.
type fragmentedFile struct {
	f        *os.File
	path     string
	codec    string
	params   codecs.Codec // the header's parameter sets
	seq      uint32
	startPTS int64 // PTS of the first sample: time zero of the file

	samples   []*fmp4.Sample // of the fragment being built, durations known
	fragStart int64          // PTS of samples[0]
	last      *unit          // the newest unit, waiting for its duration
	lastTicks uint32         // the previous sample's duration
	buf       seekablebuffer.Buffer

	sound *soundTrack // nil: the file has no audio
}

// soundTrack is a file's audio track (track 2).
type soundTrack struct {
	format    *audioFormat
	zero      int64 // audio PTS at the file's time zero
	samples   []*fmp4.Sample
	fragStart int64 // PTS of samples[0]
	last      *unit // the newest sample, waiting for its duration
}

// createFragmented creates path (and its folder) and writes the MP4
// header for the codec of first, a keyframe, which becomes the first
// sample. An existing file is never overwritten.
func createFragmented(path string, first *unit) (*fragmentedFile, error) {
	if first == nil || !first.key {
		return nil, errors.New("a recording must start on a keyframe")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("recording folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create recording: %w", err)
	}
	w := &fragmentedFile{f: f, path: path, codec: first.codec, params: first.params, seq: 1, startPTS: first.pts, fragStart: first.pts}
	init := fmp4.Init{Tracks: []*fmp4.InitTrack{{ID: 1, TimeScale: videoClock, Codec: first.params}}}
	if f := first.sound; f != nil {
		// Both tracks start at the keyframe: the ingest keeps audio and video on one timeline.
		w.sound = &soundTrack{format: f, zero: first.pts * int64(f.rate) / videoClock}
		init.Tracks = append(init.Tracks, &fmp4.InitTrack{ID: 2, TimeScale: uint32(f.rate), Codec: f.mp4Codec()})
	}
	if err := init.Marshal(&w.buf); err != nil {
		w.abort()
		return nil, fmt.Errorf("recording header: %w", err)
	}
	if err := w.writeBuf(); err != nil {
		w.abort()
		return nil, err
	}
	w.last = first
	return w, nil
}

// write adds a unit; PTS must increase. A fragment is written once it
// holds a second of video.
func (w *fragmentedFile) write(u *unit) error {
	if u.audio != nil {
		w.writeAudio(u)
		return nil
	}
	if u.pts <= w.last.pts {
		return nil // not forward in time: the ingest never sends it, skip it
	}
	w.push(uint32(min(u.pts-w.last.pts, 1<<31)))
	w.last = u
	if u.pts-w.fragStart >= fragmentTicks {
		return w.flush(u.pts)
	}
	return nil
}

// writeAudio adds an audio sample of the file's format; others (audio
// before the file's start, or in a format the camera switched to) are
// left out.
func (w *fragmentedFile) writeAudio(u *unit) {
	a := w.sound
	if a == nil || u.audio != a.format || u.pts < a.zero {
		return
	}
	if a.last != nil {
		if u.pts <= a.last.pts {
			return
		}
		a.push(uint32(min(u.pts-a.last.pts, 1<<31)))
	}
	a.last = u
}

func (a *soundTrack) push(ticks uint32) {
	if len(a.samples) == 0 {
		a.fragStart = a.last.pts
	}
	a.samples = append(a.samples, &fmp4.Sample{Duration: ticks, Payload: a.last.payload})
}

// push moves the waiting unit into the fragment with its duration.
func (w *fragmentedFile) push(ticks uint32) {
	w.samples = append(w.samples, &fmp4.Sample{Duration: ticks, IsNonSyncSample: !w.last.key, Payload: w.last.payload})
	w.lastTicks = ticks
}

// flush writes the fragment built so far; next is the PTS of the next
// fragment's first sample.
func (w *fragmentedFile) flush(next int64) error {
	if len(w.samples) == 0 {
		return nil
	}
	part := fmp4.Part{SequenceNumber: w.seq, Tracks: []*fmp4.PartTrack{{
		ID: 1, BaseTime: uint64(w.fragStart - w.startPTS), Samples: w.samples,
	}}}
	if a := w.sound; a != nil && len(a.samples) > 0 {
		part.Tracks = append(part.Tracks, &fmp4.PartTrack{ID: 2, BaseTime: uint64(a.fragStart - a.zero), Samples: a.samples})
		a.samples = nil
	}
	w.seq++
	w.samples, w.fragStart = nil, next
	if err := part.Marshal(&w.buf); err != nil {
		return fmt.Errorf("recording fragment: %w", err)
	}
	return w.writeBuf()
}

// flushWaiting writes the frames of the fragment being built, the newest
// excepted (its duration is not known yet): the camera stalled.
func (w *fragmentedFile) flushWaiting() error {
	return w.flush(w.last.pts)
}

func (w *fragmentedFile) writeBuf() error {
	_, err := w.f.Write(w.buf.Bytes())
	w.buf.Reset()
	_, _ = w.buf.Seek(0, 0)
	if err != nil {
		return fmt.Errorf("write recording %s: %w", w.path, err)
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("sync recording %s: %w", w.path, err)
	}
	return nil
}

// span is the PTS range the file covers so far.
func (w *fragmentedFile) span() int64 { return w.last.pts - w.startPTS }

// close writes the last fragment, the waiting unit included, and closes
// the file.
func (w *fragmentedFile) close() error {
	ticks := w.lastTicks
	if ticks == 0 {
		ticks = defaultSampleTicks
	}
	w.push(ticks)
	if a := w.sound; a != nil && a.last != nil {
		a.push(a.format.ticks(a.last.payload))
		a.last = nil
	}
	err := w.flush(w.last.pts + int64(ticks))
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close recording %s: %w", w.path, cerr)
	}
	return err
}

// abort closes a file whose header could not be written and removes it.
func (w *fragmentedFile) abort() {
	_ = w.f.Close()
	_ = os.Remove(w.path)
}

// sameFormat reports whether a keyframe can go on in this file: same codec
// and parameter sets (a camera that changed resolution needs a new file).
func (w *fragmentedFile) sameFormat(u *unit) bool {
	if u.codec != w.codec || u.sound != w.soundFormat() {
		return false
	}
	switch a := w.params.(type) {
	case *codecs.H264:
		b, ok := u.params.(*codecs.H264)
		return ok && string(a.SPS) == string(b.SPS) && string(a.PPS) == string(b.PPS)
	case *codecs.H265:
		b, ok := u.params.(*codecs.H265)
		return ok && string(a.VPS) == string(b.VPS) && string(a.SPS) == string(b.SPS) && string(a.PPS) == string(b.PPS)
	}
	return false
}

func (w *fragmentedFile) soundFormat() *audioFormat {
	if w.sound == nil {
		return nil
	}
	return w.sound.format
}
