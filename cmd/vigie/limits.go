package main

import (
	"net/netip"

	"vigie/config"
	"vigie/signaling"
)

// signalingLimits hands the configured limits to signaling. The proxies
// were checked by config.Validate.
func signalingLimits(l config.Limits) signaling.Limits {
	var proxies []netip.Prefix
	for _, p := range l.TrustedProxies {
		if prefix, err := config.ParsePrefix(p); err == nil {
			proxies = append(proxies, prefix)
		}
	}
	return signaling.Limits{
		MaxRooms:                  l.MaxRooms,
		MaxParticipantsPerRoom:    l.MaxParticipantsPerRoom,
		MessagesPerSecond:         l.MessagesPerSecond,
		MessageBurst:              l.MessageBurst,
		ConnectionsPerIPPerMinute: l.ConnectionsPerIPPerMinute,
		MaxWHEPSessions:           l.MaxWHEPSessions,
		TrustedProxies:            proxies,
	}
}
