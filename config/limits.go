package config

import "fmt"

// Limits bound what clients can take of the server, so that one client,
// by mistake or on purpose, cannot starve an incident's responders. Every
// limit must be at least 1: there is no "0 means unlimited", because an
// unlimited server can be exhausted by a single client; set a large number
// instead.
type Limits struct {
	MaxRooms                  int `yaml:"max_rooms"`                     // rooms with media at once
	MaxParticipantsPerRoom    int `yaml:"max_participants_per_room"`     // people (and WHIP publishers) in one room
	MessagesPerSecond         int `yaml:"messages_per_second"`           // WebSocket messages per session, sustained
	MessageBurst              int `yaml:"message_burst"`                 // WebSocket messages per session, in a burst
	ConnectionsPerIPPerMinute int `yaml:"connections_per_ip_per_minute"` // WebSocket joins and WHEP/WHIP POSTs
	MaxWHEPSessions           int `yaml:"max_whep_sessions"`             // WHEP viewers and WHIP publishers together
}

// DefaultLimits are generous for an incident room and still bound abuse.
func DefaultLimits() Limits {
	return Limits{
		MaxRooms:                  200,
		MaxParticipantsPerRoom:    100,
		MessagesPerSecond:         50,
		MessageBurst:              100,
		ConnectionsPerIPPerMinute: 120,
		MaxWHEPSessions:           500,
	}
}

func checkLimits(l Limits) []string {
	var p []string
	for _, f := range []struct {
		key string
		v   int
	}{
		{"limits.max_rooms", l.MaxRooms},
		{"limits.max_participants_per_room", l.MaxParticipantsPerRoom},
		{"limits.messages_per_second", l.MessagesPerSecond},
		{"limits.message_burst", l.MessageBurst},
		{"limits.connections_per_ip_per_minute", l.ConnectionsPerIPPerMinute},
		{"limits.max_whep_sessions", l.MaxWHEPSessions},
	} {
		if f.v < 1 {
			p = append(p, fmt.Sprintf("%s: must be at least 1 (there is no unlimited: one client could then exhaust the server; set a large number instead)", f.key))
		}
	}
	if l.MessageBurst >= 1 && l.MessagesPerSecond >= 1 && l.MessageBurst < l.MessagesPerSecond {
		p = append(p, fmt.Sprintf("limits.message_burst: %d is below messages_per_second (%d); a burst must allow at least one second's messages", l.MessageBurst, l.MessagesPerSecond))
	}
	return p
}
