package config

import "time"

// Sessions sets how a browser's session survives a cut.
type Sessions struct {
	// ResumeWindow is how long a participant whose connection dropped keeps
	// its place in the room, unseen by the others, for its browser to come
	// back (default 30s; at most 10m; 0s takes the default).
	ResumeWindow Duration `yaml:"resume_window"`
}

// maxResumeWindow bounds how long a vanished participant may look present.
const maxResumeWindow = 10 * time.Minute

func checkSessions(s Sessions) []string {
	if w := s.ResumeWindow.Std(); w < 0 || w > maxResumeWindow {
		return []string{"sessions.resume_window: must be between 0s and 10m"}
	}
	return nil
}
