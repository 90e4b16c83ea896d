package signaling

import (
	"maps"
	"slices"

	"vigie/sfu"
)

// ViewingLog records who watches which camera and when (CSI L252-3: every
// consultation of CCTV images is logged). Its methods must not block.
type ViewingLog interface {
	CameraWatch(room, participant, name, camera string, started bool)
}

// watchCameras compares the cameras of a subscribe offer with the ones the
// participant received so far and logs each start and stop. A camera is
// watched from the offer that sends its track until one that removes it.
func (c *session) watchCameras(tracks map[string]sfu.TrackInfo) {
	if c.srv.Viewing == nil {
		return
	}
	now := map[string]bool{}
	for _, t := range tracks {
		if t.Camera != "" {
			now[t.Camera] = true
		}
	}
	c.updateWatching(now)
}

// stopWatching logs the end of every camera still watched; the
// participant has left.
func (c *session) stopWatching() {
	if c.srv.Viewing != nil {
		c.updateWatching(map[string]bool{})
	}
}

func (c *session) updateWatching(now map[string]bool) {
	c.mu.Lock()
	self, h := c.self, c.hub
	c.mu.Unlock()
	if h == nil {
		return
	}
	c.watchMu.Lock()
	defer c.watchMu.Unlock()
	for _, cam := range slices.Sorted(maps.Keys(now)) {
		if !c.watching[cam] {
			c.srv.Viewing.CameraWatch(h.id, self.ID, self.Name, cam, true)
		}
	}
	for _, cam := range slices.Sorted(maps.Keys(c.watching)) {
		if !now[cam] {
			c.srv.Viewing.CameraWatch(h.id, self.ID, self.Name, cam, false)
		}
	}
	c.watching = now
}
