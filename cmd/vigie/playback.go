package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"vigie/config"
	"vigie/files"
	"vigie/playback"
	"vigie/rooms"
)

// startPlayback serves recorded footage of the cameras that have a
// playback_url, on the admin API and the operator console; nothing when
// none has. Clips are written under <data>/playback, then shared as room
// files.
func (s *server) startPlayback(cfg config.Config, mux *http.ServeMux, admin *rooms.API, log *slog.Logger) error {
	has := false
	for _, c := range cfg.Cameras {
		has = has || c.PlaybackURL != ""
	}
	if !has {
		return nil
	}
	dir := filepath.Join(cfg.Data, "playback")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	s.playback = playback.NewService(playback.ServiceConfig{Cameras: cfg.Cameras, Rooms: s.sfu,
		Signaling: s.signaling, Timeline: s.store, Log: log, Clips: clipSharer{s}, ClipDir: dir})
	api := &playback.API{Service: s.playback, Incidents: s.store, Sites: cfg.Sites}
	api.Routes(mux, admin.Authorized)
	if s.incidents != nil && s.incidents.console != nil {
		s.incidents.console.SetPlayback(api, s.playback.Has)
	}
	return nil
}

// clipSharer shares a playback's clip as a room file, announced at once
// with file_shared, like the pre-alarm clip (shareClip).
type clipSharer struct{ s *server }

func (c clipSharer) ShareClip(ctx context.Context, room string, r io.Reader, name, uploaderID, uploader string) (string, string, error) {
	shared, err := c.s.files.store.Save(ctx, r, files.Upload{Room: room, Name: name, UploaderID: uploaderID, Uploader: uploader})
	if err != nil {
		return "", "", err
	}
	c.s.signaling.Broadcast(room, files.SharedMessage(shared))
	return shared.ID, shared.Name, nil
}

// incidentCameras are the cameras as incidents see them: closing an
// incident detaches its room's cameras and stops its playbacks.
type incidentCameras struct{ s *server }

func (c incidentCameras) Attach(room string, ids []string) error {
	return c.s.cameras.Attach(room, ids)
}

func (c incidentCameras) Detach(room string) {
	c.s.cameras.Detach(room)
	if c.s.playback != nil { // set before serving, never changed
		c.s.playback.StopRoom(context.Background(), room, "incident closed")
	}
}

// closePlayback stops every playback and ends those starting; nil-safe; a
// second call does nothing.
func (s *server) closePlayback() {
	if s.playback != nil {
		s.playback.Close()
	}
}
