package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"vigie/config"
	"vigie/files"
	"vigie/incident"
	"vigie/record"
)

// startRecording builds the recorder when recording is enabled and taps
// the cameras' video into it. Files go to <data>/recordings.
func (s *server) startRecording(cfg config.Config, log *slog.Logger) error {
	if !cfg.Recording.Enabled {
		log.Info("recording is off (recording.enabled: false)")
		return nil
	}
	names := map[string]string{}
	cams := make([]record.Camera, 0, len(cfg.Cameras))
	for _, c := range cfg.Cameras {
		cams = append(cams, record.Camera{ID: c.ID, Preload: c.Preload})
		names[c.ID] = c.Name
		if c.Name == "" {
			names[c.ID] = c.ID
		}
	}
	pre := cfg.Recording.PreAlarm.Std()
	if pre == 0 {
		pre = -1 // no clip: record.Config takes 0 for its default
	}
	log = log.With("component", "record")
	rec, err := record.New(record.Config{
		Dir: filepath.Join(cfg.Data, "recordings"), Cameras: cams,
		Segment: cfg.Recording.Segment.Std(), PreAlarm: pre, Log: log,
		OnClip: func(incidentID, cameraID, path string) {
			s.shareClip(incidentID, path, names[cameraID])
		},
	})
	if err != nil {
		return err
	}
	s.recorder = rec
	s.cameras.SetTap(rec)
	return s.startParticipantRecording(cfg, log)
}

// incidentRecorder is the recorder as incidents see it: nil when off.
func (s *server) incidentRecorder() incident.Recorder {
	if s.recorder == nil {
		return nil
	}
	if s.participants != nil {
		return incidentRecording{cameras: s.recorder, participants: s.participants}
	}
	return s.recorder
}

// closeRecording completes every file being written; the cameras are
// stopped first.
func (s *server) closeRecording() {
	if s.recorder != nil {
		s.recorder.Close()
	}
	s.closeParticipantRecording()
}

// shareClip shares a pre-alarm clip in its incident's room, as a file
// everyone there sees at once and the evidence bundle keeps.
func (s *server) shareClip(incidentID, path, cameraName string) {
	log := s.log.With("incident", incidentID, "clip", path)
	if s.files == nil {
		log.Warn("pre-alarm clip not shared: room files are off")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	inc, err := s.store.Incident(ctx, incidentID)
	if err != nil {
		log.Error("pre-alarm clip not shared", "err", err)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		log.Error("pre-alarm clip not shared", "err", err)
		return
	}
	defer f.Close()
	fr, en := record.ClipTitle(cameraName)
	shared, err := s.files.store.Save(ctx, f, files.Upload{
		Room: inc.Room, Name: fr + " (" + en + ").mp4", UploaderID: "vigie", Uploader: "vigie",
	})
	if err != nil {
		log.Error("pre-alarm clip not shared", "err", err)
		return
	}
	s.signaling.Broadcast(inc.Room, files.SharedMessage(shared))
	log.Info("pre-alarm clip shared in the room", "file", shared.ID, "size", shared.Size)
}
