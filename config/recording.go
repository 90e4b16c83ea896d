package config

import (
	"fmt"
	"time"
)

// Recording sets how incidents' cameras are recorded: fragmented MP4 files
// in <data>/recordings/<incident>/<camera>/, and a pre-alarm clip for the
// preloaded cameras.
type Recording struct {
	// Enabled records every camera of an open incident (default true).
	Enabled bool `yaml:"enabled"`
	// Segment is how long one file runs before the next starts, on the
	// next keyframe (default 10m; 10s to 24h).
	Segment Duration `yaml:"segment"`
	// PreAlarm is how far before the alarm the clip of a preloaded camera
	// starts (default 30s; at most 5m; 0s: no clip, nothing kept in memory).
	PreAlarm Duration `yaml:"pre_alarm"`
	// Participants also records the audio and video participants send in
	// an incident's room (default false); the room tells them so.
	Participants bool `yaml:"participants"`
}

// DefaultRecording is the default of the recording section.
func DefaultRecording() Recording {
	return Recording{Enabled: true, Segment: Duration(10 * time.Minute), PreAlarm: Duration(30 * time.Second)}
}

func checkRecording(r Recording) []string {
	var p []string
	if s := r.Segment.Std(); s < 10*time.Second || s > 24*time.Hour {
		p = append(p, fmt.Sprintf("recording.segment: %s: must be between 10s and 24h", s))
	}
	if a := r.PreAlarm.Std(); a < 0 || a > 5*time.Minute {
		p = append(p, fmt.Sprintf("recording.pre_alarm: %s: must be between 0s and 5m", a))
	}
	if r.Participants && !r.Enabled {
		p = append(p, "recording.participants: needs recording.enabled: true")
	}
	return p
}
