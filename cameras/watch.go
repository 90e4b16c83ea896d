package cameras

import (
	"context"
	"errors"
	"fmt"

	"vigie/sfu"
)

// ErrUnknown is returned by Watch for a camera id not configured.
var ErrUnknown = errors.New("unknown camera")

// Watch holds a camera for a viewer outside any room (a WHEP player): its
// ingest starts if no room runs it, and waits until the camera's video is
// known or ctx ends. It returns the camera's feeds (video first, then audio
// when the camera has some) and release, which lets the ingest stop once
// no room and no viewer needs it. Call release exactly once, even on error.
func (r *Registry) Watch(ctx context.Context, id string) (feeds []*sfu.Feed, release func(), err error) {
	r.mu.Lock()
	cam := r.cams[id]
	r.mu.Unlock()
	if cam == nil {
		return nil, func() {}, fmt.Errorf("camera %q: %w", id, ErrUnknown)
	}
	cam.mu.Lock()
	cam.watchers++
	mustStart := !cam.running
	cam.mu.Unlock()
	release = func() {
		cam.mu.Lock()
		defer cam.mu.Unlock()
		cam.watchers--
		cam.stopIfUnusedLocked()
	}
	if mustStart {
		r.start(cam)
	}
	select {
	case <-cam.videoReady:
	case <-ctx.Done():
		return nil, release, fmt.Errorf("camera %q has sent no video yet: %w", id, ctx.Err())
	}
	cam.mu.Lock()
	defer cam.mu.Unlock()
	feeds = []*sfu.Feed{cam.video}
	if cam.audio != nil {
		feeds = append(feeds, cam.audio)
	}
	return feeds, release, nil
}

// Watchers counts the viewers holding camera id outside rooms.
func (r *Registry) Watchers(id string) int {
	r.mu.Lock()
	cam := r.cams[id]
	r.mu.Unlock()
	if cam == nil {
		return 0
	}
	cam.mu.Lock()
	defer cam.mu.Unlock()
	return cam.watchers
}

// stopIfUnusedLocked stops the ingest once no room and no viewer needs
// it, unless the camera is preloaded. Called with c.mu held.
func (c *camera) stopIfUnusedLocked() {
	if len(c.rooms) == 0 && c.watchers == 0 && !c.cfg.Preload && c.stop != nil {
		c.stop()
	}
}

// markVideoReadyLocked says the camera has a video feed. Called with c.mu.
func (c *camera) markVideoReadyLocked() {
	select {
	case <-c.videoReady:
	default:
		close(c.videoReady)
	}
}
