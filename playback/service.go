package playback

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"vigie/config"
	"vigie/record"
	"vigie/sfu"
	"vigie/store"
)

// Rooms is where recorded feeds are shown (sfu.SFU).
type Rooms interface {
	AttachFeed(roomID string, f *sfu.Feed) error
	DetachFeed(roomID string, f *sfu.Feed)
}

// Broadcaster sends a signaling message to everyone in a room (signaling.Server).
type Broadcaster interface {
	Broadcast(roomID string, msg any)
}

// Timeline appends to an incident's timeline (store.Store).
type Timeline interface {
	Append(ctx context.Context, e store.Entry) (store.Entry, error)
}

// ServiceConfig configures a Service.
type ServiceConfig struct {
	Cameras   []config.Camera
	Rooms     Rooms
	Signaling Broadcaster
	Timeline  Timeline
	Log       *slog.Logger
	Every     time.Duration // playback_status period; 1 s when 0
	Max       int           // playbacks at once; 8 when 0
	// Clips saves played footage as room files (clip.go); nil: no clips.
	Clips ClipSharer
	// ClipDir holds clips while they are written; os.TempDir() when empty.
	ClipDir string
	// GiveUp is how long a recorder may stay unreachable before its
	// playback stops; 60 s when 0.
	GiveUp time.Duration
	// KeepEnded is how many ended playbacks are kept for their clip, all
	// incidents together, oldest dropped first; 4 when 0 (ended.go).
	KeepEnded int
	// KeepFor is how long an ended playback is kept for its clip; 10 min
	// when 0.
	KeepFor time.Duration
}

// States of a playback, as playback_status carries them.
const (
	StatePlaying = "playing"
	StatePaused  = "paused"
	StateStopped = "stopped"
	// StateEnded is a playback kept after its end for its clip (ended.go);
	// only the APIs list it, playback_status says "stopped".
	StateEnded = "ended"
)

// StatusMessage is the playback_status signaling message (docs/protocol.md).
type StatusMessage struct {
	Type       string `json:"type"` // "playback_status"
	ID         string `json:"id"`
	Camera     string `json:"camera"`
	Track      string `json:"track"`       // the feed's camera id in the room
	RecordedAt string `json:"recorded_at"` // RFC 3339, UTC
	State      string `json:"state"`
}

// Errors of the Service.
var (
	ErrNotFound   = errors.New("playback: no such playback")
	ErrNoCamera   = errors.New("playback: unknown camera or camera without playback_url")
	ErrTooMany    = errors.New("playback: too many playbacks")
	ErrRoomClosed = errors.New("playback: the incident closed meanwhile")
	ErrBadRange   = errors.New("playback: bad range") // from in the future, not before to, or more than a day
	ErrEnded      = errors.New("playback: the playback has ended")
	maxRangeSpan  = 24 * time.Hour
)

// Service runs the recorded playbacks shown in incident rooms.
type Service struct {
	cfg  ServiceConfig
	log  *slog.Logger
	cams map[string]config.Camera
	zone *time.Location // of clip names

	ctx    context.Context // ends with Close: starts in progress give up
	cancel context.CancelFunc

	mu       sync.Mutex
	running  map[string]*running
	ended    map[string]*running    // kept for their clip (ended.go)
	starting map[*starting]struct{} // Starts in progress: they count towards Max
	closed   bool
	wg       sync.WaitGroup // reporters, stops and Starts in progress
}

// starting is a Start in progress, between the check of the limit and
// the playback running in its room.
type starting struct {
	room    string
	cancel  context.CancelFunc
	stopped bool // StopRoom: the incident closed meanwhile; guarded by Service.mu
}

type running struct {
	id, incident, room, camera, track string
	from, to                          time.Time
	player                            *Player
	feed                              *sfu.Feed
	kept                              *record.ClipBuffer
	started                           time.Time
	clipMu                            sync.Mutex
	mu                                sync.Mutex // orders Pause's and Resume's status before the stopped one
	stopped                           bool       // guarded by mu
	lost                              chan error // the player gave up reconnecting
	stop                              chan struct{}
	reported                          chan struct{} // closed when report returns
	once                              sync.Once
	endedAt                           time.Time   // guarded by Service.mu, when in ended
	forget                            *time.Timer // guarded by Service.mu, when in ended
}

// NewService returns a Service for the cameras that have a playback_url.
func NewService(cfg ServiceConfig) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Every <= 0 {
		cfg.Every = time.Second
	}
	if cfg.Max <= 0 {
		cfg.Max = 8
	}
	if cfg.GiveUp <= 0 {
		cfg.GiveUp = time.Minute
	}
	if cfg.KeepEnded <= 0 {
		cfg.KeepEnded = 4
	}
	if cfg.KeepFor <= 0 {
		cfg.KeepFor = 10 * time.Minute
	}
	cams := map[string]config.Camera{}
	for _, c := range cfg.Cameras {
		if c.PlaybackURL != "" {
			cams[c.ID] = c
		}
	}
	zone, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		zone = time.UTC
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, log: cfg.Log, cams: cams, zone: zone, running: map[string]*running{},
		ended: map[string]*running{}, starting: map[*starting]struct{}{}, ctx: ctx, cancel: cancel}
}

// StopRoom stops the playbacks shown in a room (its incident closed);
// reason goes on the timeline.
func (s *Service) StopRoom(ctx context.Context, room, reason string) {
	s.mu.Lock()
	for st := range s.starting {
		if st.room == room {
			st.stopped = true
			st.cancel()
		}
	}
	var ids []string
	for id, r := range s.running {
		if r.room == room {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		_ = s.stop(ctx, id, "system", reason, false) // ErrNotFound: stopped meanwhile
	}
	s.forgetRoom(room)
}

// Has reports whether camera has recorded footage (a playback_url).
func (s *Service) Has(camera string) bool {
	_, ok := s.cams[camera]
	return ok
}

// Start plays camera's [from, to) in room for incident; actor goes on the timeline.
func (s *Service) Start(ctx context.Context, incident, room, actor, camera string, from, to time.Time) (string, error) {
	cam, ok := s.cams[camera]
	if !ok {
		return "", ErrNoCamera
	}
	if !to.After(from) || to.Sub(from) > maxRangeSpan || from.After(time.Now()) {
		return "", ErrBadRange
	}
	src, err := SourceFor(cam, from, to)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()
	st := &starting{room: room, cancel: cancel}
	s.mu.Lock()
	if s.closed || len(s.running)+len(s.starting) >= s.cfg.Max {
		s.mu.Unlock()
		return "", ErrTooMany
	}
	s.starting[st] = struct{}{} // hold the place while the recorder answers
	s.wg.Add(1)                 // Close waits for this Start
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.starting, st)
		s.mu.Unlock()
		s.wg.Done()
	}()
	id := newID()
	track := TrackOf(camera, id)
	feed, err := sfu.NewFeed(sfu.FeedConfig{Camera: track, Codec: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}})
	if err != nil {
		return "", err
	}
	kept := record.NewClipBuffer(record.CodecH264, MaxClip, MaxClipBytes)
	lost := make(chan error, 1)
	p, err := Start(ctx, Options{Source: src, From: from, To: to, Sink: feed.WriteVideo, Keeper: kept, Log: s.log.With("playback", id),
		SourceAt: func(at time.Time) (Source, error) { return SourceFor(cam, at, to) },
		OnLost:   func(err error) { lost <- err }, GiveUp: s.cfg.GiveUp})
	if err != nil {
		return "", s.startError(st, err)
	}
	if err := s.cfg.Rooms.AttachFeed(room, feed); err != nil {
		p.Close()
		return "", fmt.Errorf("playback: show in room: %w", err)
	}
	r := &running{id: id, incident: incident, room: room, camera: camera, track: track,
		from: from, to: to, player: p, feed: feed, kept: kept, started: time.Now(), lost: lost, stop: make(chan struct{}), reported: make(chan struct{})}
	s.mu.Lock()
	if s.closed || st.stopped {
		s.mu.Unlock()
		s.cfg.Rooms.DetachFeed(room, feed)
		p.Close()
		return "", s.startError(st, ErrTooMany)
	}
	delete(s.starting, st)
	s.running[id] = r
	s.wg.Go(func() { s.report(r) })
	s.mu.Unlock()
	s.timeline(ctx, r, "playback_started", actor, "")
	return id, nil
}

// startError is ErrRoomClosed when the incident closed during the Start
// st, else err.
func (s *Service) startError(st *starting, err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.stopped {
		return ErrRoomClosed
	}
	return err
}

// report broadcasts playback_status every period and stops the playback at its end.
func (s *Service) report(r *running) {
	defer close(r.reported)
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-r.lost:
			// The cause (refused, timed out...) is in the player's log.
			reason := fmt.Sprintf("recorder unreachable for %d s", int(s.cfg.GiveUp.Round(time.Second)/time.Second))
			s.wg.Go(func() { _ = s.stop(context.Background(), r.id, "system", reason, true) })
			return
		case <-t.C:
			s.cfg.Signaling.Broadcast(r.room, s.status(r, ""))
			if !r.player.RecordedAt().Before(r.to) {
				s.wg.Go(func() { _ = s.stop(context.Background(), r.id, "system", "end of the range", true) })
			}
		}
	}
}

func (s *Service) status(r *running, state string) StatusMessage {
	if state == "" {
		state = StatePlaying
		if r.player.Paused() {
			state = StatePaused
		}
	}
	return StatusMessage{Type: "playback_status", ID: r.id, Camera: r.camera, Track: r.track,
		RecordedAt: r.player.RecordedAt().UTC().Format(time.RFC3339), State: state}
}

// get finds a running playback: ErrEnded for one kept after its end.
func (s *Service) get(id string) (*running, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.running[id]; r != nil {
		return r, nil
	}
	if s.ended[id] != nil {
		return nil, ErrEnded
	}
	return nil, ErrNotFound
}

// Pause pauses a playback.
func (s *Service) Pause(ctx context.Context, id, actor string) error {
	r, err := s.get(id)
	if err != nil {
		return err
	}
	if err := r.player.Pause(); err != nil {
		return notFoundIfClosed(err)
	}
	return s.settled(r)
}

// Resume resumes a paused playback.
func (s *Service) Resume(ctx context.Context, id, actor string) error {
	r, err := s.get(id)
	if err != nil {
		return err
	}
	if err := r.player.Resume(); err != nil {
		return notFoundIfClosed(err)
	}
	return s.settled(r)
}

// settled shows the player's state after a pause or a resume: the feed held
// while paused, and the status broadcast. It reads the player, not the
// request, so a pause and a resume crossing each other (two operators)
// leave the feed and the label as the recorder really is, whichever ends
// last. A playback stopped meanwhile says nothing after its "stopped"
// and is not found.
func (s *Service) settled(r *running) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped {
		return ErrNotFound
	}
	r.feed.Hold(r.player.Paused())
	s.cfg.Signaling.Broadcast(r.room, s.status(r, ""))
	return nil
}

// notFoundIfClosed is ErrNotFound for a player stopped meanwhile, else err.
func notFoundIfClosed(err error) error {
	if errors.Is(err, ErrClosed) {
		return ErrNotFound
	}
	return err
}

// Stop ends a playback and withdraws its track from the room; it stays
// listed as ended, for its clip, until dismissed or forgotten (ended.go).
// Stopping an ended playback does nothing.
func (s *Service) Stop(ctx context.Context, id, actor string) error {
	err := s.stop(ctx, id, actor, "", true)
	if errors.Is(err, ErrEnded) {
		return nil
	}
	return err
}

// stop ends a playback; reason, when set, goes on the timeline; keep
// keeps it as ended for its clip.
func (s *Service) stop(ctx context.Context, id, actor, reason string, keep bool) error {
	s.mu.Lock()
	r := s.running[id]
	if r == nil {
		ended := s.ended[id] != nil
		s.mu.Unlock()
		if ended {
			return ErrEnded
		}
		return ErrNotFound
	}
	delete(s.running, id)
	if keep && !s.closed {
		s.keepLocked(r) // in the same lock: StopRoom never misses it
	}
	s.mu.Unlock()
	s.end(r)
	s.cfg.Signaling.Broadcast(r.room, s.status(r, StateStopped))
	s.timeline(ctx, r, "playback_stopped", actor, reason)
	return nil
}

func (s *Service) end(r *running) {
	r.once.Do(func() {
		r.mu.Lock()
		r.stopped = true // no Pause or Resume status from now on
		r.mu.Unlock()
		close(r.stop)
		<-r.reported // no playing status after the stopped one
		r.player.Close()
		s.cfg.Rooms.DetachFeed(r.room, r.feed)
	})
}

// Close stops every playback, ends the Starts in progress and waits for
// them and the reporters.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.cancel()
	all := s.running
	s.running = map[string]*running{}
	s.forgetAllLocked()
	s.mu.Unlock()
	for _, r := range all {
		s.end(r)
		s.timeline(context.Background(), r, "playback_stopped", "system", "server stopping")
	}
	s.wg.Wait()
}

func (s *Service) timeline(ctx context.Context, r *running, kind, actor, reason string) {
	detail := map[string]string{"playback": r.id, "camera": r.camera,
		"from": r.from.UTC().Format(time.RFC3339), "to": r.to.UTC().Format(time.RFC3339),
		"recorded_at": r.player.RecordedAt().UTC().Format(time.RFC3339)}
	if reason != "" {
		detail["reason"] = reason
	}
	s.appendEntry(ctx, r.incident, kind, actor, detail)
}

func (s *Service) appendEntry(ctx context.Context, incident, kind, actor string, detail map[string]string) {
	if s.cfg.Timeline == nil || incident == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err := s.cfg.Timeline.Append(ctx, store.Entry{Incident: incident, At: time.Now().UTC(), Kind: kind, Actor: actor, Detail: detail})
	if err != nil {
		s.log.Error("playback: timeline", "incident", incident, "kind", kind, "err", err)
	}
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
