package record

import (
	"sync"
	"time"
)

// cameraTap is one camera's side of the recorder: its pre-alarm ring and
// the files being written from it.
type cameraTap struct {
	id  string
	rec *Recorder

	mu     sync.Mutex
	ring   *ring // nil: not preloaded, no clip
	jobs   []*job
	sound  *audioFormat // the camera's audio, nil until some came
	closed bool         // the recorder closed: no new job
}

// write copies an access unit once and hands it to the ring and to every
// job. Nothing is copied for a camera nobody records.
func (t *cameraTap) write(codec string, pts int64, au [][]byte, key bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ring == nil && len(t.jobs) == 0 {
		return
	}
	u := newUnit(codec, pts, t.rec.cfg.Now(), au, key)
	if u == nil {
		return
	}
	if u.key {
		u.sound = t.sound
	}
	t.share(u)
}

// writeAudio copies an audio payload once and hands it on as write does.
func (t *cameraTap) writeAudio(codec string, rate, channels int, pts int64, payload []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.sound; f == nil || f.codec != codec || f.rate != rate || f.channels != channels {
		t.sound = &audioFormat{codec: codec, rate: rate, channels: channels}
	}
	if t.ring == nil && len(t.jobs) == 0 {
		return
	}
	if u := newAudioUnit(t.sound, pts, t.rec.cfg.Now(), payload); u != nil {
		t.share(u)
	}
}

// share gives a unit to the ring and the jobs. Called with t.mu.
func (t *cameraTap) share(u *unit) {
	if t.ring != nil {
		t.ring.push(u)
	}
	for _, j := range t.jobs {
		j.offer(u, t.rec.cfg.Log)
	}
}

// attach starts a job unless the incident already has one of its kind on
// this camera. With from not zero, the job first gets the ring's units
// since from, taken under the same lock as the queue so none is lost or
// written twice.
func (t *cameraTap) attach(j *job, from time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	for _, o := range t.jobs {
		if o.incident == j.incident && o.kind == j.kind {
			return
		}
	}
	var first []*unit
	if !from.IsZero() && t.ring != nil {
		first = t.ring.since(from)
	}
	t.jobs = append(t.jobs, j)
	t.rec.wg.Go(func() { j.run(t, first) })
}

// detach stops feeding a job and closes its queue; its goroutine writes
// what is queued and closes its file.
func (t *cameraTap) detach(j *job) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.removeLocked(func(o *job) bool { return o == j })
}

// detachIncident detaches the jobs of an incident; "" detaches them all
// and refuses new ones.
func (t *cameraTap) detachIncident(incidentID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = t.closed || incidentID == ""
	t.removeLocked(func(o *job) bool { return incidentID == "" || o.incident == incidentID })
}

func (t *cameraTap) removeLocked(match func(*job) bool) {
	kept := t.jobs[:0]
	for _, o := range t.jobs {
		if match(o) {
			close(o.in)
			continue
		}
		kept = append(kept, o)
	}
	clear(t.jobs[len(kept):])
	t.jobs = kept
}
