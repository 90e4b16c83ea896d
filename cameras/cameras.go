// Package cameras runs the configured cameras and shows them in rooms: it
// starts a camera's ingest when a room that shows it opens (or at start for
// preloaded ones), turns what the camera produces into SFU feeds, and
// reports each camera's state. One RTSP session per camera, whatever the
// number of rooms and viewers.
package cameras

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"

	"vigie/ingest"
	"vigie/sfu"
)

// Camera is one configured camera.
type Camera struct {
	ID, Name    string
	URL         string // main stream
	SubURL      string // optional sub-stream
	Username    string
	Password    string
	Transport   string // "tcp" (default) or "udp"
	Fingerprint string // rtsps certificate pin
	Preload     bool   // stay connected all the time
}

// Status is a camera's state as browsers see it.
type Status struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"`
	Video     string `json:"video,omitempty"`
	Audio     string `json:"audio,omitempty"`
	AudioNote string `json:"audio_note,omitempty"`
}

// Media is what the registry needs of the SFU.
type Media interface {
	AttachFeed(roomID string, f *sfu.Feed) error
	DetachFeed(roomID string, f *sfu.Feed)
}

// Registry owns every configured camera.
type Registry struct {
	media    Media
	log      *slog.Logger
	onStatus func(rooms []string, st Status)
	tap      atomic.Pointer[Tap] // tap.go

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	cams map[string]*camera
}

// New validates the cameras and builds the registry. onStatus is called on
// every state change with the rooms that show the camera; it must not block.
func New(ctx context.Context, list []Camera, media Media, log *slog.Logger, onStatus func(rooms []string, st Status)) (*Registry, error) {
	ctx, cancel := context.WithCancel(ctx)
	r := &Registry{media: media, log: log, onStatus: onStatus, ctx: ctx, cancel: cancel, cams: map[string]*camera{}}
	for _, c := range list {
		if _, dup := r.cams[c.ID]; dup || c.ID == "" {
			cancel()
			return nil, fmt.Errorf("camera %q: id missing or used twice", c.ID)
		}
		cam, err := newCamera(r, c)
		if err != nil {
			cancel()
			return nil, err
		}
		r.cams[c.ID] = cam
	}
	for _, cam := range r.cams {
		if cam.cfg.Preload {
			r.start(cam)
		}
	}
	return r, nil
}

// Has reports whether id is a configured camera.
func (r *Registry) Has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cams[id] != nil
}

// Attach shows cameras ids in a room, starting their ingest if needed.
func (r *Registry) Attach(roomID string, ids []string) error {
	r.mu.Lock()
	cams := make([]*camera, 0, len(ids))
	for _, id := range ids {
		cam := r.cams[id]
		if cam == nil {
			r.mu.Unlock()
			return fmt.Errorf("unknown camera %q", id)
		}
		cams = append(cams, cam)
	}
	r.mu.Unlock()
	for _, cam := range cams {
		if cam.attach(roomID) {
			r.start(cam)
		}
	}
	return nil
}

// Detach withdraws every camera from a room; a camera no room shows stops,
// unless preloaded.
func (r *Registry) Detach(roomID string) {
	for _, cam := range r.all() {
		cam.detach(roomID)
	}
}

// RoomCameras lists the state of the cameras a room shows, by name.
func (r *Registry) RoomCameras(roomID string) []Status {
	var list []Status
	for _, cam := range r.all() {
		if st, ok := cam.statusIn(roomID); ok {
			list = append(list, st)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	return list
}

// Close stops every camera and waits for them.
func (r *Registry) Close() {
	r.cancel()
	r.wg.Wait()
}

func (r *Registry) all() []*camera {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]*camera, 0, len(r.cams))
	for _, c := range r.cams {
		list = append(list, c)
	}
	return list
}

// start runs a camera's ingest until the registry closes or the camera
// stops being needed.
func (r *Registry) start(cam *camera) {
	ctx, ok := cam.begin(r.ctx)
	if !ok {
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cam.ended()
		var sub sync.WaitGroup
		if cam.subIngest != nil {
			sub.Go(func() { cam.subIngest.Run(ctx) })
		}
		cam.ingest.Run(ctx)
		sub.Wait()
	}()
}

// newIngest builds the RTSP side of one of a camera's streams.
func newIngest(c Camera, url string, pub ingest.Publisher, log *slog.Logger) (*ingest.Camera, error) {
	return ingest.New(ingest.Config{
		Name: c.Name, URL: url, Username: c.Username, Password: c.Password,
		Transport: c.Transport, Fingerprint: c.Fingerprint,
	}, pub, log.With("camera_id", c.ID))
}
