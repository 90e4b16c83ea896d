package main

import (
	"log/slog"
	"path/filepath"

	"vigie/config"
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
			// Sharing it in the room as a file comes with room files.
			fr, en := record.ClipTitle(names[cameraID])
			log.Info("pre-alarm clip to share", "incident", incidentID, "camera", cameraID, "path", path, "title_fr", fr, "title_en", en)
		},
	})
	if err != nil {
		return err
	}
	s.recorder = rec
	s.cameras.SetTap(rec)
	return nil
}

// incidentRecorder is the recorder as incidents see it: nil when off.
func (s *server) incidentRecorder() incident.Recorder {
	if s.recorder == nil {
		return nil
	}
	return s.recorder
}

// closeRecording completes every file being written; the cameras are
// stopped first.
func (s *server) closeRecording() {
	if s.recorder != nil {
		s.recorder.Close()
	}
}
