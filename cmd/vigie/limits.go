package main

import (
	"vigie/config"
	"vigie/signaling"
)

// signalingLimits hands the configured limits to signaling.
func signalingLimits(l config.Limits) signaling.Limits {
	return signaling.Limits{
		MaxRooms:                  l.MaxRooms,
		MaxParticipantsPerRoom:    l.MaxParticipantsPerRoom,
		MessagesPerSecond:         l.MessagesPerSecond,
		MessageBurst:              l.MessageBurst,
		ConnectionsPerIPPerMinute: l.ConnectionsPerIPPerMinute,
		MaxWHEPSessions:           l.MaxWHEPSessions,
	}
}
