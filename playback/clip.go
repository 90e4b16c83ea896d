package playback

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
	_ "time/tzdata" // Paris time in clip names even without the system's zoneinfo

	"vigie/record"
)

// Bounds of what a playback keeps for a clip: whichever comes first.
const (
	MaxClip      = 5 * time.Minute
	MaxClipBytes = 64 << 20
)

// ErrNoFootage is returned by SaveClip before the first keyframe was shown.
var ErrNoFootage = errors.New("playback: nothing played yet")

// errClip wraps SaveClip's own failures (disk, room files).
var errClip = errors.New("playback: clip not saved")

// ClipSharer shares a clip in a room as a file everyone there sees at
// once (the room files and signaling's file_shared, as the pre-alarm clip).
type ClipSharer interface {
	ShareClip(ctx context.Context, room string, r io.Reader, name, uploaderID, uploader string) (fileID, fileName string, err error)
}

// Clip is a saved clip: the shared file and the footage it holds.
type Clip struct {
	File, Name string
	From, To   time.Time
}

// Info is a running playback, as the APIs list it.
type Info struct {
	ID         string    `json:"id"`
	Camera     string    `json:"camera"`
	Track      string    `json:"track"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	RecordedAt time.Time `json:"recorded_at"`
	State      string    `json:"state"`
	// Until is when an ended playback is forgotten: its clip can be saved
	// until then; absent while it runs.
	Until *time.Time `json:"until,omitempty"`
}

// List returns the playbacks of an incident, running or ended (kept for
// their clip), oldest first.
func (s *Service) List(incident string) []Info {
	type listed struct {
		r     *running
		until *time.Time
	}
	s.mu.Lock()
	var rs []listed
	for _, r := range s.running {
		if r.incident == incident {
			rs = append(rs, listed{r: r})
		}
	}
	for _, r := range s.ended {
		if r.incident == incident {
			until := r.endedAt.Add(s.cfg.KeepFor).UTC().Truncate(time.Second)
			rs = append(rs, listed{r: r, until: &until})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(rs, func(a, b listed) int { return cmp.Or(a.r.started.Compare(b.r.started), cmp.Compare(a.r.id, b.r.id)) })
	out := make([]Info, 0, len(rs))
	for _, l := range rs {
		state := StateEnded
		if l.until == nil {
			state = s.status(l.r, "").State
		}
		out = append(out, Info{ID: l.r.id, Camera: l.r.camera, Track: l.r.track, From: l.r.from.UTC(), To: l.r.to.UTC(),
			RecordedAt: l.r.player.RecordedAt().UTC(), State: state, Until: l.until})
	}
	return out
}

// SaveClip saves what a playback has shown (at most the last MaxClip) as
// an MP4 file shared in its room by uploader, and notes it on the
// incident's timeline under actor. The playback may be running or ended.
func (s *Service) SaveClip(ctx context.Context, id, actor, uploader string) (Clip, error) {
	r := s.find(id)
	if r == nil {
		return Clip{}, ErrNotFound
	}
	if s.cfg.Clips == nil {
		return Clip{}, fmt.Errorf("%w: room files are off", errClip)
	}
	r.clipMu.Lock() // one clip of a playback at a time
	defer r.clipMu.Unlock()
	dir, err := os.MkdirTemp(s.cfg.ClipDir, "clip-")
	if err != nil {
		return Clip{}, fmt.Errorf("%w: clip folder: %w", errClip, err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "clip.mp4")
	span, err := r.kept.WriteMP4(path)
	if errors.Is(err, record.ErrNoFootage) {
		return Clip{}, ErrNoFootage
	}
	if err != nil {
		return Clip{}, fmt.Errorf("%w: write: %w", errClip, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return Clip{}, fmt.Errorf("%w: read: %w", errClip, err)
	}
	defer f.Close()
	name := clipName(cmp.Or(s.cams[r.camera].Name, r.camera), span, s.zone)
	fileID, fileName, err := s.cfg.Clips.ShareClip(ctx, r.room, f, name, actor, uploader)
	if err != nil {
		return Clip{}, fmt.Errorf("%w: share: %w", errClip, err)
	}
	s.appendEntry(ctx, r.incident, "playback_clip_saved", actor, map[string]string{"playback": r.id, "camera": r.camera,
		"from": span.From.UTC().Format(time.RFC3339Nano), "to": span.To.UTC().Format(time.RFC3339Nano), "file": fileID})
	s.log.Info("playback: clip shared", "playback", r.id, "incident", r.incident, "file", fileID, "from", span.From, "to", span.To)
	return Clip{File: fileID, Name: fileName, From: span.From, To: span.To}, nil
}

// clipName is the clip's file name, in French and English, with the range
// in the zone's time written without ':' (room file names cannot hold it):
// "Enregistrement — caméra Cour 14h02m10–14h03m00 (Recorded — camera Cour
// 14h02m10–14h03m00).mp4"; a camera named "Caméra Cour" is not called
// "caméra Caméra Cour" (record.CameraWords).
func clipName(camera string, span record.Span, zone *time.Location) string {
	const clock = "15h04m05"
	times := span.From.In(zone).Format(clock) + "–" + span.To.In(zone).Format(clock)
	fr, en := record.CameraWords(camera)
	return "Enregistrement — " + fr + " " + times + " (Recorded — " + en + " " + times + ").mp4"
}
