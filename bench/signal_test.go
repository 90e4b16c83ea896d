package bench

import "testing"

func TestParseLink(t *testing.T) {
	tests := []struct {
		raw, ws, token string
		loopback       bool
		bad            bool
	}{
		{raw: "https://vigie.example:8443/room/r_1?t=abc.def", ws: "wss://vigie.example:8443/ws", token: "abc.def"},
		{raw: "http://127.0.0.1:8080/room/r_1?t=x", ws: "ws://127.0.0.1:8080/ws", token: "x", loopback: true},
		{raw: "https://localhost/room/r_1?t=x", ws: "wss://localhost/ws", token: "x", loopback: true},
		{raw: "https://[::1]:8443/room/r_1?t=x", ws: "wss://[::1]:8443/ws", token: "x", loopback: true},
		{raw: "https://vigie.example/room/r_1", bad: true},
		{raw: "ftp://vigie.example/room/r_1?t=x", bad: true},
		{raw: "vigie.example/room/r_1?t=x", bad: true},
		{raw: "", bad: true},
	}
	for _, tt := range tests {
		l, err := parseLink(tt.raw)
		if tt.bad {
			if err == nil {
				t.Errorf("%q accepted as %+v", tt.raw, l)
			}
			continue
		}
		if err != nil || l.ws != tt.ws || l.token != tt.token || l.loopback != tt.loopback {
			t.Errorf("%q: %+v, %v; want %s %s loopback=%v", tt.raw, l, err, tt.ws, tt.token, tt.loopback)
		}
	}
}

func TestFirstCamera(t *testing.T) {
	tracks := map[string]trackInfo{
		"0":  {Participant: "p_a", Source: "camera"},
		"10": {Camera: "gate", Source: "camera"},
		"2":  {Camera: "hall", Source: "microphone"},
		"3":  {Camera: "hall", Source: "camera"},
	}
	if got := firstCamera(tracks); got != "hall" {
		t.Fatalf("first camera %q, want hall (mid 3 before mid 10)", got)
	}
	if got := firstCamera(map[string]trackInfo{"0": {Participant: "p_a", Source: "camera"}}); got != "" {
		t.Fatalf("a participant's camera taken for a camera: %q", got)
	}
}
