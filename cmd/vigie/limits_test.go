package main

import (
	"net/netip"
	"reflect"
	"testing"

	"vigie/config"
	"vigie/signaling"
)

func TestSignalingLimits(t *testing.T) {
	l := config.DefaultLimits()
	l.MaxRooms = 7
	l.TrustedProxies = []string{"127.0.0.1", "10.1.2.3/8"}
	want := signaling.Limits{
		MaxRooms: 7, MaxParticipantsPerRoom: 100, MessagesPerSecond: 50, MessageBurst: 100,
		ConnectionsPerIPPerMinute: 120, MaxWHEPSessions: 500,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")},
	}
	if got := signalingLimits(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("signalingLimits = %+v\nwant %+v", got, want)
	}
}
