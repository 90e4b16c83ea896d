package ingest

import (
	"context"
	"net/url"
	"runtime"
	"testing"
	"time"

	"vigie/camsim"
)

// simWait bounds waits on the simulator: a client joins mid-GOP and waits up to 4 s for a
// keyframe, after a reconnection too.
const simWait = 15 * time.Second

func startSim(t *testing.T, user, pass string) *camsim.Server {
	t.Helper()
	sim, err := camsim.Start(context.Background(), camsim.Config{Addr: "127.0.0.1:0", User: user, Pass: pass, Log: testLog(t)})
	if err != nil {
		t.Fatalf("camera simulator: %v", err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// TestSimulatorPaths plays every simulated camera and checks what the tile and the sinks get.
func TestSimulatorPaths(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "", "")
	cases := []struct {
		path   string
		want   Status
		codec  videoCodec
		audio  string // sink expected to receive packets
		frames int
	}{
		{path: "/main", want: Status{State: StateLive, Video: "H264"}, codec: codecH264, frames: 30},
		{path: "/sub", want: Status{State: StateLive, Video: "H264"}, codec: codecH264, frames: 30},
		{path: "/h265", want: Status{State: StateLive, Video: "H265"}, codec: codecH265, frames: 30},
		{path: "/aac", want: Status{State: StateLive, Video: "H264", AudioNote: "audio not supported (AAC)"}, codec: codecH264, frames: 30},
		{path: "/g711", want: Status{State: StateLive, Video: "H264", Audio: "PCMU"}, codec: codecH264, audio: "PCMU", frames: 30},
		{path: "/bframes", want: Status{State: StateFailed, Reason: reasonBFrames, Video: "H264"}, codec: codecH264},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			rec, _ := runCamera(t, Config{Name: tc.path, URL: sim.URL(tc.path)})
			rec.waitUntil(t, simWait, string(tc.want.State), func() bool {
				return rec.hasStatus(0, tc.want.State, tc.want.Reason)
			})
			if tc.frames > 0 {
				waitFrames(t, rec, tc.codec.String(), tc.frames, 1)
			}
			if tc.audio != "" {
				rec.waitUntil(t, simWait, tc.audio+" packets", func() bool {
					a := rec.audios[tc.audio]
					return a != nil && len(a.packets) >= 50
				})
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if got := rec.last(); got != tc.want {
				t.Fatalf("status %+v, want %+v", got, tc.want)
			}
			checkSinks(t, rec, tc.codec, tc.audio)
		})
	}
}

// checkSinks checks keyframes and timestamps of what was written. Call with rec.mu held.
func checkSinks(t *testing.T, rec *recorder, codec videoCodec, audio string) {
	t.Helper()
	if v := rec.videos[codec.String()]; v != nil {
		checkKeyframePrefix(t, codec, v.frames)
		checkIncreasing(t, "video", v.ptsList())
	}
	if audio == "" {
		if len(rec.audios) != 0 {
			t.Fatalf("audio sinks asked: %v", rec.audios)
		}
		return
	}
	a := rec.audios[audio]
	if a.clockRate != 8000 || a.channels != 1 {
		t.Fatalf("%s sink asked with %d Hz, %d channels", audio, a.clockRate, a.channels)
	}
	checkIncreasing(t, "audio", a.ptsList())
	for _, p := range a.packets {
		if p.size != 160 { // 20 ms of G.711
			t.Fatalf("audio payload of %d bytes, want 160", p.size)
		}
	}
}

func TestSimulatorAuthentication(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "operator", "p@ss word")
	withUser := func(user, pass string) string {
		u, err := url.Parse(sim.URL("/sub"))
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(user, pass)
		return u.String()
	}
	cases := []struct {
		name   string
		cfg    Config
		state  State
		reason string
	}{
		{name: "credentials in the URL", cfg: Config{URL: withUser("operator", "p@ss word")}, state: StateLive},
		{name: "credentials in the config", cfg: Config{URL: sim.URL("/sub"), Username: "operator", Password: "p@ss word"}, state: StateLive},
		{name: "wrong password", cfg: Config{URL: withUser("operator", "guess")}, state: StateFailed, reason: reasonAuth},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.cfg.Name = tc.name
			rec, _ := runCamera(t, tc.cfg)
			rec.waitUntil(t, simWait, string(tc.state)+" "+tc.reason, func() bool {
				return rec.hasStatus(0, tc.state, tc.reason)
			})
		})
	}
}

// TestSimulatorDropSessions: the camera drops its clients; vigie reconnects, the viewers'
// sinks stay the same and time runs on across the gap.
func TestSimulatorDropSessions(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "", "")
	rec, _ := runCamera(t, Config{Name: "drop", URL: sim.URL("/g711"), Backoff: fastBackoff()})
	waitFrames(t, rec, "H264", 10, 1)

	rec.mu.Lock()
	marks := len(rec.statuses)
	before := len(rec.videos["H264"].frames)
	audioBefore := len(rec.audios["PCMU"].packets)
	rec.mu.Unlock()
	sim.DropSessions()

	rec.waitUntil(t, simWait, "reconnecting then live", func() bool {
		return rec.hasStatus(marks, StateReconnecting, reasonLost) && rec.last().State == StateLive
	})
	rec.waitUntil(t, simWait, "a keyframe after reconnecting", func() bool {
		for _, f := range rec.videos["H264"].frames[before:] {
			if f.key {
				return true
			}
		}
		return false
	})
	rec.waitUntil(t, simWait, "audio after reconnecting", func() bool {
		return len(rec.audios["PCMU"].packets) > audioBefore+10
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.videos) != 1 || rec.videoAsks < 2 {
		t.Fatalf("video sinks %v asked %d times; want one sink asked on each session", rec.videos, rec.videoAsks)
	}
	checkSinks(t, rec, codecH264, "PCMU")
	checkGap(t, rec.videos["H264"].frames, before)
}

// checkGap: the PTS step across a reconnection matches the wall-clock time between the last
// frame before it and the first after it.
func checkGap(t *testing.T, frames []videoFrame, firstAfter int) {
	t.Helper()
	// The first frame after the gap is the first one with a new session's timing; find the
	// largest step around firstAfter.
	gapAt := firstAfter
	for i := firstAfter; i < len(frames) && i < firstAfter+5; i++ {
		if frames[i].pts-frames[i-1].pts > frames[gapAt].pts-frames[gapAt-1].pts {
			gapAt = i
		}
	}
	a, b := frames[gapAt-1], frames[gapAt]
	ptsGap := time.Duration(b.pts-a.pts) * time.Second / 90000
	wallGap := b.at.Sub(a.at)
	if d := ptsGap - wallGap; d < -300*time.Millisecond || d > 300*time.Millisecond {
		t.Fatalf("PTS moved %v across the reconnection, the wall clock %v", ptsGap, wallGap)
	}
}

// TestSimulatorRestart: the camera reboots; vigie says it is unreachable, then plays again.
func TestSimulatorRestart(t *testing.T) {
	t.Parallel()
	sim := startSim(t, "", "")
	rec, _ := runCamera(t, Config{Name: "reboot", URL: sim.URL("/sub"), Backoff: fastBackoff()})
	waitFrames(t, rec, "H264", 5, 1)
	rec.mu.Lock()
	marks := len(rec.statuses)
	before := len(rec.videos["H264"].frames)
	rec.mu.Unlock()

	if err := sim.Restart(2 * time.Second); err != nil {
		t.Fatalf("restart: %v", err)
	}
	rec.waitUntil(t, simWait, "unreachable then live", func() bool {
		return rec.hasStatus(marks, StateReconnecting, reasonUnreachable) && rec.last().State == StateLive
	})
	waitFrames(t, rec, "H264", before+5, 2)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	checkSinks(t, rec, codecH264, "")
}

// TestRunStopsEverything: when its context ends, Run returns and leaves no goroutine behind.
// Not parallel: it counts the process's goroutines.
func TestRunStopsEverything(t *testing.T) {
	sim := startSim(t, "", "")
	baseline := runtime.NumGoroutine()
	rec, stop := runCamera(t, Config{Name: "stop", URL: sim.URL("/g711")})
	rec.waitUntil(t, simWait, "live", func() bool { return rec.hasStatus(0, StateLive, "") })
	stop()

	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for n := runtime.NumGoroutine(); n > baseline; n = runtime.NumGoroutine() {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines left, %d before the camera ran:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
		}
		<-tick.C
	}
}
