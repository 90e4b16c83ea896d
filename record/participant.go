package record

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// ParticipantsConfig sets up the recording of participants' tracks.
type ParticipantsConfig struct {
	Dir     string        // <data>/recordings
	Segment time.Duration // a new file after this long (default 10 min)
	Now     func() time.Time
	Log     *slog.Logger
}

// Participants records the tracks participants publish in the rooms of
// open incidents, each in its own series of files:
// <dir>/<incident>/participants/<name>-<id>/<UTC>-<source>.<ext>, VP8 as
// IVF, H.264 as fragmented MP4, Opus as Ogg.
type Participants struct {
	cfg ParticipantsConfig

	mu      sync.Mutex
	tracks  map[*ParticipantTrack]struct{}
	stopped []string // the incidents stopped last, oldest first (maxStopped)
	closed  bool
	ending  sync.WaitGroup // files being completed after Stop; Close waits for them
}

// maxStopped bounds the stopped incidents remembered: a track whose store
// look-up saw its incident open just before Stop comes moments later.
const maxStopped = 256

// NewParticipants checks cfg and builds the recorder.
func NewParticipants(cfg ParticipantsConfig) (*Participants, error) {
	if cfg.Dir == "" {
		return nil, errors.New("record: no folder for recordings")
	}
	if cfg.Segment <= 0 {
		cfg.Segment = DefaultSegment
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Participants{cfg: cfg, tracks: map[*ParticipantTrack]struct{}{}}, nil
}

// TrackInfo names a participant's track to record.
type TrackInfo struct {
	Incident    string
	Participant string // the participant's id
	Name        string // the name shown in the room, made fit for a folder
	Source      string // microphone, camera, screen
	Codec       webrtc.RTPCodecParameters
	// Keyframe asks the publisher for a keyframe; it may be nil.
	Keyframe func()
}

// Track starts recording one track. It returns nil, and logs why, for a
// codec it cannot record, an incident id unfit for a folder, or once
// closed. The track writes from its caller's goroutine (WriteRTP) until
// Close or the incident's Stop.
func (p *Participants) Track(info TrackInfo) *ParticipantTrack {
	log := p.cfg.Log.With("incident", info.Incident, "participant", info.Participant, "source", info.Source)
	kind, ok := kindOf(info.Codec.MimeType)
	if !ok {
		log.Warn("participant track not recorded: codec not supported", "codec", info.Codec.MimeType)
		return nil
	}
	if !safeName(info.Incident) {
		log.Error("participant track not recorded: incident id unfit for a folder name")
		return nil
	}
	keyframe := info.Keyframe
	if keyframe == nil {
		keyframe = func() {}
	}
	t := &ParticipantTrack{
		owner: p, incident: info.Incident, log: log, kind: kind, keyframe: keyframe,
		dir:      filepath.Join(p.cfg.Dir, info.Incident, "participants", folderName(info.Name)+"-"+folderName(info.Participant)),
		source:   folderName(info.Source),
		channels: max(int(info.Codec.Channels), 1),
		every:    int64(p.cfg.Segment.Seconds() * float64(kind.clock())),
		sb:       kind.builder(),
	}
	if kind.video() {
		t.padding = new([1 << 16]bool)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	if slices.Contains(p.stopped, info.Incident) {
		log.Info("participant track not recorded: the incident's recording is stopped")
		return nil
	}
	p.tracks[t] = struct{}{}
	log.Info("recording participant's track", "codec", info.Codec.MimeType, "folder", t.dir)
	return t
}

// Stop ends the recordings of an incident's participants: their files are
// completed now, what the tracks send next is ignored, and a track that
// starts afterwards (its look-up raced with the close) is not recorded.
func (p *Participants) Stop(incidentID string) {
	p.mu.Lock()
	if len(p.stopped) == maxStopped {
		p.stopped = append(p.stopped[:0], p.stopped[1:]...)
	}
	p.stopped = append(p.stopped, incidentID)
	p.mu.Unlock()
	// Completing a file syncs it to disk: not on the caller's goroutine,
	// which closes the incident (incident.Recorder must not block).
	for _, t := range p.take(func(t *ParticipantTrack) bool { return t.incident == incidentID }) {
		t.ending.Store(true) // nothing written from now on
		p.ending.Go(t.finish)
	}
}

// Close completes every file and refuses new tracks.
func (p *Participants) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for _, t := range p.take(func(*ParticipantTrack) bool { return true }) {
		t.finish()
	}
	p.ending.Wait()
}

func (p *Participants) take(match func(*ParticipantTrack) bool) []*ParticipantTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	var list []*ParticipantTrack
	for t := range p.tracks {
		if match(t) {
			list = append(list, t)
			delete(p.tracks, t)
		}
	}
	return list
}

// trackKind is what a participant's codec is recorded as.
type trackKind int

const (
	kindVP8  trackKind = iota + 1 // IVF
	kindH264                      // fragmented MP4
	kindOpus                      // Ogg
)

func kindOf(mime string) (trackKind, bool) {
	for _, k := range []trackKind{kindVP8, kindH264, kindOpus} {
		if strings.EqualFold(k.mime(), mime) {
			return k, true
		}
	}
	return 0, false
}

func (k trackKind) mime() string {
	switch k {
	case kindVP8:
		return webrtc.MimeTypeVP8
	case kindH264:
		return webrtc.MimeTypeH264
	}
	return webrtc.MimeTypeOpus
}

// ext is the files' extension.
func (k trackKind) ext() string {
	switch k {
	case kindVP8:
		return "ivf"
	case kindH264:
		return "mp4"
	}
	return "ogg"
}

// clock is the RTP clock rate.
func (k trackKind) clock() int {
	if k == kindOpus {
		return 48000
	}
	return 90000
}

func (k trackKind) video() bool { return k != kindOpus }

// Reordering: a frame is given up when a packet of it is still missing
// this many packets after it (about 0.5 s of 720p video, 0.5 s of
// audio). No time bound: pion's builder then scans its whole buffer on
// every packet.
const (
	videoMaxLate = 128
	audioMaxLate = 25
)

// builder puts packets back in order and frames together; a frame with a
// packet missing is dropped and counted in the next sample.
func (k trackKind) builder() *samplebuilder.SampleBuilder {
	headers := samplebuilder.WithRTPHeaders(true) // sequence numbers, to tell loss from padding
	switch k {
	case kindVP8:
		return samplebuilder.New(videoMaxLate, &codecs.VP8Packet{}, uint32(k.clock()), headers)
	case kindH264:
		return samplebuilder.New(videoMaxLate, &codecs.H264Packet{}, uint32(k.clock()), headers)
	}
	return samplebuilder.New(audioMaxLate, &codecs.OpusPacket{}, uint32(k.clock()))
}

// isKey tells whether a frame starts a picture with no reference.
func (k trackKind) isKey(frame []byte) bool {
	switch k {
	case kindVP8:
		return len(frame) > 0 && frame[0]&0x01 == 0
	case kindH264:
		return h264HasIDR(frame)
	}
	return true
}

// syncEvery is how often a participant's file is synced to disk.
const syncEvery = time.Second

// participantRetry is how long a track whose file failed twice in a row
// (a full disk, a folder it cannot make) waits before it tries a new file
// again: meanwhile it asks the publisher for no keyframe and logs nothing.
const participantRetry = 10 * time.Second

// ParticipantTrack is one participant's track being recorded: the sfu's
// RTPSink. Its methods are safe from any goroutine.
type ParticipantTrack struct {
	owner    *Participants
	incident string
	dir      string
	source   string
	kind     trackKind
	channels int
	every    int64 // a new file after this many clock ticks
	keyframe func()
	log      *slog.Logger

	mu        sync.Mutex
	ending    atomic.Bool // its incident stopped: packets are ignored while finish completes the file
	stopped   bool
	sb        *samplebuilder.SampleBuilder
	file      participantFile // nil: none open
	fileStart int64
	waitKey   bool // video: a frame was lost, the file goes on at the next keyframe
	lost      int  // frames given up
	synced    time.Time
	ts        unwrapper
	failures  int       // files that failed since the last good sync; the first is logged
	retryAt   time.Time // after two failures, no new file before then
	// Video: padding-only packets seen (browsers probe bandwidth with
	// them), by sequence number, and the last sequence number of the
	// latest frame: a hole between two frames that is not padding is loss.
	padding *[1 << 16]bool
	lastSeq uint16
	seqSeen bool
}

// WriteRTP takes one packet; it copies what it keeps.
func (t *ParticipantTrack) WriteRTP(p *rtp.Packet) {
	if t.ending.Load() {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	if len(p.Payload) == 0 {
		if t.padding == nil {
			return
		}
		// Given to the builder too, so that it sees no hole, as a frame of
		// its own (a marker) that it drops: never merged with the next one.
		t.padding[p.SequenceNumber] = true
		q := p.Clone()
		q.Marker = true
		t.sb.Push(q)
		return
	}
	t.sb.Push(p.Clone())
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		t.sample(s)
	}
}

// Close completes the file: the track ended.
func (t *ParticipantTrack) Close() {
	t.owner.take(func(o *ParticipantTrack) bool { return o == t })
	t.finish()
}

func (t *ParticipantTrack) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.sb.Flush()
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		t.sample(s)
	}
	t.stopped = true
	t.closeFile()
	if t.lost > 0 {
		t.log.Info("participant's recording lost frames to packet loss", "frames", t.lost)
	}
}

// sample writes one frame (video) or packet (audio). Called with t.mu.
func (t *ParticipantTrack) sample(s *media.Sample) {
	pts := t.ts.unwrap(s.PacketTimestamp)
	key := t.kind.isKey(s.Data)
	if t.kind.video() {
		if t.lostBefore(s) && t.file != nil {
			t.waitKey = true
			t.lost++
		}
		if t.waitKey && !key {
			t.keyframe()
			return
		}
		if key {
			t.waitKey = false
		}
	}
	if t.file != nil && key && !t.file.fits(s.Data) {
		t.closeFile()
	}
	if t.file != nil && pts-t.fileStart >= t.every {
		if key {
			t.closeFile()
		} else {
			t.keyframe()
		}
	}
	now := t.owner.cfg.Now()
	if t.file == nil {
		if now.Before(t.retryAt) {
			return
		}
		if !key {
			t.keyframe()
			return
		}
		f, err := t.create(s.Data, pts, now)
		if err != nil {
			t.failed(now, "participant's recording not started", err)
			return
		}
		t.file, t.fileStart, t.synced = f, pts, now
		return
	}
	if err := t.file.write(s.Data, pts, key, now); err != nil {
		t.failed(now, "participant's recording stopped, a new file starts at the next keyframe", err)
		t.file.abandon()
		t.file = nil
		return
	}
	if now.Sub(t.synced) >= syncEvery {
		t.synced = now
		if err := t.file.sync(); err != nil {
			t.failed(now, "participant's recording stopped, a new file starts at the next keyframe", err)
			t.file.abandon()
			t.file = nil
			return
		}
		if t.failures > 0 {
			t.log.Info("participant's recording goes on", "failures", t.failures)
			t.failures = 0
		}
	}
}

// failed counts a file that could not be written: the first failure is
// logged and a new file tried at the next keyframe; after a second one in
// a row (a full disk fails every file), the track waits participantRetry
// between tries, without a log line or a keyframe request each time.
// Called with t.mu.
func (t *ParticipantTrack) failed(now time.Time, msg string, err error) {
	t.failures++
	if t.failures == 1 {
		t.log.Error(msg, "err", err)
		return
	}
	t.retryAt = now.Add(participantRetry)
}

// lostBefore tells whether a packet that was not padding is missing
// between the previous frame and this one. Called with t.mu.
func (t *ParticipantTrack) lostBefore(s *media.Sample) bool {
	if len(s.RTPHeaders) == 0 {
		return s.PrevDroppedPackets > 0
	}
	first, last := s.RTPHeaders[0].SequenceNumber, s.RTPHeaders[len(s.RTPHeaders)-1].SequenceNumber
	lost := false
	if t.seqSeen {
		for q := t.lastSeq + 1; q != first; q++ {
			lost = lost || !t.padding[q]
			t.padding[q] = false
		}
	}
	t.seqSeen, t.lastSeq = true, last
	return lost
}

func (t *ParticipantTrack) closeFile() {
	if t.file == nil {
		return
	}
	if err := t.file.close(); err != nil {
		t.log.Error("close participant's recording", "err", err)
	}
	t.file = nil
}

// create opens the next file with its first frame, named after the time
// it came; a name already taken gets a suffix.
func (t *ParticipantTrack) create(first []byte, pts int64, now time.Time) (participantFile, error) {
	name := now.UTC().Format(fileTime) + "-" + t.source
	for i := 1; ; i++ {
		path := filepath.Join(t.dir, name+"."+t.kind.ext())
		if i > 1 {
			path = filepath.Join(t.dir, fmt.Sprintf("%s-%d.%s", name, i, t.kind.ext()))
		}
		f, err := openParticipantFile(t.kind, path, t.channels, first, pts, now)
		if errors.Is(err, errNameTaken) && i < 100 {
			continue
		}
		if err == nil {
			t.log.Info("recording", "file", path)
		}
		return f, err
	}
}

// unwrapper turns 32-bit RTP timestamps into a continuous count.
type unwrapper struct {
	started bool
	last    uint32
	at      int64
}

func (u *unwrapper) unwrap(ts uint32) int64 {
	if !u.started {
		u.started, u.last, u.at = true, ts, int64(ts)
		return u.at
	}
	u.at += int64(int32(ts - u.last))
	u.last = ts
	return u.at
}

// folderName keeps letters, digits, '-' and '_' of a name, at most 40 of
// them; anything else becomes '_'.
func folderName(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == 40 {
			break
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		n++
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
