package playback

import (
	"context"
	"time"
)

// An ended playback (its range played out, stopped by an operator, or its
// recorder lost) is kept a while for its clip: its player is closed and
// its track gone from the room, but its clip buffer stays, so that
// SaveClip still works after the viewing. It is forgotten after
// ServiceConfig.KeepFor, when dismissed, when its incident closes, or when
// more than ServiceConfig.KeepEnded are kept (oldest first). Each holds at
// most MaxClipBytes of footage, so ended playbacks hold at most
// KeepEnded × MaxClipBytes, beside the Max running ones.

// find returns a running or ended playback, nil when none.
func (s *Service) find(id string) *running {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.running[id]; r != nil {
		return r
	}
	return s.ended[id]
}

// keepLocked keeps r, just taken out of running, as ended, and drops the
// oldest ended ones over the limit. s.mu is held.
func (s *Service) keepLocked(r *running) {
	r.endedAt = time.Now()
	s.ended[r.id] = r
	r.forget = time.AfterFunc(s.cfg.KeepFor, func() { s.forgetEnded(r, "kept long enough") })
	for len(s.ended) > s.cfg.KeepEnded {
		var oldest *running
		for _, e := range s.ended {
			if oldest == nil || e.endedAt.Before(oldest.endedAt) || e.endedAt.Equal(oldest.endedAt) && e.id < oldest.id {
				oldest = e
			}
		}
		s.dropLocked(oldest, "too many ended playbacks kept")
	}
}

// dropLocked forgets an ended playback. s.mu is held.
func (s *Service) dropLocked(r *running, why string) {
	delete(s.ended, r.id)
	r.forget.Stop()
	s.log.Info("playback: ended playback forgotten, its clip no longer available", "playback", r.id, "incident", r.incident, "why", why)
}

// forgetEnded forgets r if it is still kept as ended.
func (s *Service) forgetEnded(r *running, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended[r.id] == r {
		s.dropLocked(r, why)
	}
}

// forgetRoom forgets the ended playbacks of a room (its incident closed).
func (s *Service) forgetRoom(room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.ended {
		if r.room == room {
			s.dropLocked(r, "incident closed")
		}
	}
}

// forgetAllLocked forgets every ended playback (Close). s.mu is held.
func (s *Service) forgetAllLocked() {
	for _, r := range s.ended {
		s.dropLocked(r, "server stopping")
	}
}

// Dismiss forgets an ended playback: its clip can no longer be saved. A
// running one is stopped and forgotten at once.
func (s *Service) Dismiss(ctx context.Context, id, actor string) error {
	err := s.stop(ctx, id, actor, "", false)
	if err == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.ended[id]
	if r == nil {
		return ErrNotFound
	}
	s.dropLocked(r, "dismissed by "+actor)
	return nil
}
