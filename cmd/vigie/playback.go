package main

import (
	"log/slog"
	"net/http"

	"vigie/config"
	"vigie/playback"
	"vigie/rooms"
)

// startPlayback serves recorded footage of the cameras that have a
// playback_url; nothing when none has.
func (s *server) startPlayback(cfg config.Config, mux *http.ServeMux, admin *rooms.API, log *slog.Logger) {
	has := false
	for _, c := range cfg.Cameras {
		has = has || c.PlaybackURL != ""
	}
	if !has {
		return
	}
	s.playback = playback.NewService(playback.ServiceConfig{Cameras: cfg.Cameras, Rooms: s.sfu,
		Signaling: s.signaling, Timeline: s.store, Log: log})
	(&playback.API{Service: s.playback, Incidents: s.store}).Routes(mux, admin.Authorized)
}

// closePlayback stops every playback; nil-safe.
func (s *server) closePlayback() {
	if s.playback != nil {
		s.playback.Close()
	}
}
