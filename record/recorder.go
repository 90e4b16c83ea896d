// Package record writes what cameras show during an incident to disk as
// fragmented MP4, and cuts the pre-alarm clip of preloaded cameras from
// the seconds they kept in memory before the alarm.
//
// The camera ingest hands every access unit to Recorder.WriteVideo (the
// tap); the recorder copies it once and queues it, without waiting, to
// one goroutine per file being written.
package record

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Defaults of Config.
const (
	DefaultSegment   = 10 * time.Minute
	DefaultPreAlarm  = 30 * time.Second
	DefaultPostAlarm = 5 * time.Second
	DefaultRingBytes = 64 << 20
	DefaultQueue     = 512
)

// Camera is a camera the recorder may record.
type Camera struct {
	ID      string
	Preload bool // always connected: its last seconds are kept for the pre-alarm clip
}

// Config sets up a Recorder.
type Config struct {
	Dir       string        // <data>/recordings
	Cameras   []Camera      // every configured camera
	Segment   time.Duration // a new file after this long (default 10 min)
	PreAlarm  time.Duration // the clip starts this long before the alarm (default 30 s); < 0: no clip
	PostAlarm time.Duration // and ends this long after it (default 5 s)
	RingBytes int           // memory cap of one camera's pre-alarm ring (default 64 MiB)
	Queue     int           // access units waiting for one file's writer (default 512)
	// OnClip is called, from the clip's writer goroutine, once a pre-alarm
	// clip is complete on disk. It may be nil.
	OnClip func(incidentID, cameraID, path string)
	Now    func() time.Time
	Log    *slog.Logger
}

// Recorder records incidents' cameras. Its camera set is fixed at New, so
// the tap reads it without a lock.
type Recorder struct {
	cfg  Config
	cams map[string]*cameraTap
	wg   sync.WaitGroup
}

// New checks cfg and builds the recorder.
func New(cfg Config) (*Recorder, error) {
	if cfg.Dir == "" {
		return nil, errors.New("record: no folder for recordings")
	}
	if cfg.Segment <= 0 {
		cfg.Segment = DefaultSegment
	}
	if cfg.PreAlarm == 0 {
		cfg.PreAlarm = DefaultPreAlarm
	}
	if cfg.PostAlarm <= 0 {
		cfg.PostAlarm = DefaultPostAlarm
	}
	if cfg.RingBytes <= 0 {
		cfg.RingBytes = DefaultRingBytes
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{cfg: cfg, cams: map[string]*cameraTap{}}
	for _, c := range cfg.Cameras {
		t := &cameraTap{id: c.ID, rec: r}
		if c.Preload && cfg.PreAlarm > 0 {
			// A GOP more than the clip needs: the clip starts on the keyframe before.
			t.ring = newRing(cfg.PreAlarm, cfg.RingBytes)
		}
		r.cams[c.ID] = t
	}
	return r, nil
}

// WriteVideo is the ingest's tap: one access unit of camera's main stream,
// as ingest.VideoSink gets it. It never blocks on disk.
func (r *Recorder) WriteVideo(camera, codec string, pts int64, au [][]byte, keyframe bool) {
	if t := r.cams[camera]; t != nil {
		t.write(codec, pts, au, keyframe)
	}
}

// WriteAudio is the ingest's audio tap: one RTP payload of camera's main
// stream (G.711 or Opus), pts in the clock rate, as ingest.AudioSink gets
// it. It never blocks on disk.
func (r *Recorder) WriteAudio(camera, codec string, clockRate, channels int, pts int64, payload []byte) {
	if t := r.cams[camera]; t != nil {
		t.writeAudio(codec, clockRate, channels, pts, payload)
	}
}

// Start records cameras for an incident, each in
// <dir>/<incident>/<camera>/<UTC start>.mp4 from its next keyframe. When
// alarmAt is not zero, preloaded cameras also write the pre-alarm clip
// <dir>/<incident>/<camera>/prealarm.mp4. Starting an incident already
// recorded adds nothing.
func (r *Recorder) Start(incidentID string, cameras []string, alarmAt time.Time) {
	if !safeName(incidentID) {
		r.cfg.Log.Error("no recording: incident id unfit for a folder name", "incident", incidentID)
		return
	}
	for _, id := range cameras {
		t := r.cams[id]
		if t == nil || !safeName(id) {
			r.cfg.Log.Warn("no recording: unknown camera", "incident", incidentID, "camera", id)
			continue
		}
		dir := filepath.Join(r.cfg.Dir, incidentID, id)
		log := r.cfg.Log.With("incident", incidentID, "camera", id)
		seg := &segmenter{dir: dir, every: r.cfg.Segment, log: log}
		t.attach(r.newJob(incidentID, kindRecording, seg), time.Time{})
		if alarmAt.IsZero() || t.ring == nil {
			continue
		}
		clip := &clipper{path: filepath.Join(dir, "prealarm.mp4"), until: alarmAt.Add(r.cfg.PostAlarm), log: log}
		clip.done = func(path string) {
			log.Info("pre-alarm clip ready", "path", path)
			if r.cfg.OnClip != nil {
				r.cfg.OnClip(incidentID, id, path)
			}
		}
		t.attach(r.newJob(incidentID, kindClip, clip), alarmAt.Add(-r.cfg.PreAlarm))
	}
}

// safeName accepts an id as one folder name: no separator, no "..".
func safeName(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`+"\x00")
}

// Stop ends an incident's recordings, and its clips still being written.
// It does not wait: each file is completed on its writer's goroutine;
// Close waits for them all.
func (r *Recorder) Stop(incidentID string) {
	for _, t := range r.cams {
		t.detachIncident(incidentID)
	}
}

// Close stops every recording and waits until every file is closed.
func (r *Recorder) Close() {
	for _, t := range r.cams {
		t.detachIncident("")
	}
	r.wg.Wait()
}

// handler is what a job does with the units it gets, on its goroutine.
type handler interface {
	handle(u *unit) (done bool) // done: the job needs nothing more
	idle()                      // no unit came for a while: put what waits on disk
	finish()                    // close the file
}

// idleFlush is how long a job waits for the camera before writing the
// frames it holds: a camera that stalls loses nothing already received.
const idleFlush = time.Second

// job is one file being written: a bounded queue filled by the tap and a
// goroutine emptying it into the handler.
type job struct {
	incident string
	kind     string // kindRecording or kindClip
	in       chan *unit
	h        handler
	skipping bool // under the tap's lock: the queue overflowed, wait for a keyframe
	dropped  int  // under the tap's lock
}

// Kinds of job.
const (
	kindRecording = "recording"
	kindClip      = "clip"
)

func (r *Recorder) newJob(incidentID, kind string, h handler) *job {
	return &job{incident: incidentID, kind: kind, in: make(chan *unit, r.cfg.Queue), h: h}
}

// run writes first (the pre-alarm ring's units) then what the tap queues,
// until the tap closes the queue.
func (j *job) run(t *cameraTap, first []*unit) {
	done := false
	for _, u := range first {
		if done = j.h.handle(u); done {
			break
		}
	}
	if done {
		t.detach(j)
	}
	idle := time.NewTimer(idleFlush)
	defer idle.Stop()
	for {
		select {
		case u, ok := <-j.in:
			if !ok {
				j.h.finish()
				return
			}
			if !done {
				if done = j.h.handle(u); done {
					t.detach(j)
				}
			}
			idle.Reset(idleFlush)
		case <-idle.C:
			j.h.idle()
		}
	}
}

// offer queues a unit without waiting; when the queue is full the unit is
// dropped and so is everything up to the next keyframe, so that the file
// never holds a picture whose reference is missing. Called under the
// tap's lock.
func (j *job) offer(u *unit, log *slog.Logger) {
	if j.skipping {
		if !u.key {
			return
		}
		j.skipping = false
	}
	select {
	case j.in <- u:
	default:
		j.skipping = true
		j.dropped++
		if j.dropped == 1 || j.dropped%100 == 0 {
			log.Warn("recording falls behind: video dropped until the next keyframe", "incident", j.incident, "times", j.dropped)
		}
	}
}
