package incident

import (
	"context"
	"time"

	"vigie/config"
	"vigie/store"
)

// Recorder records an incident's cameras from its opening to its close.
// Its methods must not block.
type Recorder interface {
	// Start records cameras for the incident. alarmAt is when the alarm
	// reached vigie, for the pre-alarm clip; zero after a restart (the
	// seconds before the alarm are gone).
	Start(incidentID string, cameras []string, alarmAt time.Time)
	Stop(incidentID string)
}

// startRecording records the site's cameras of a newly opened incident.
func (s *Service) startRecording(inc store.Incident, site config.Site, arrived time.Time) {
	if s.cfg.Recorder == nil || len(site.Cameras) == 0 {
		return
	}
	if arrived.IsZero() {
		arrived = s.cfg.Now()
	}
	s.cfg.Recorder.Start(inc.ID, site.Cameras, arrived)
}

func (s *Service) stopRecording(id string) {
	if s.cfg.Recorder != nil {
		s.cfg.Recorder.Stop(id)
	}
}

// ResumeRecordings records again the cameras of the incidents still open,
// after a restart: each camera in a new file.
func (s *Service) ResumeRecordings(ctx context.Context) error {
	if s.cfg.Recorder == nil {
		return nil
	}
	open, err := s.cfg.Store.OpenIncidents(ctx)
	if err != nil {
		return err
	}
	for _, inc := range open {
		if site, ok := s.cfg.Directory.Site(inc.Site); ok && len(site.Cameras) > 0 {
			s.cfg.Recorder.Start(inc.ID, site.Cameras, time.Time{})
		}
	}
	return nil
}
