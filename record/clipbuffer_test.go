package record

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
	"time"
)

func TestClipBuffer(t *testing.T) {
	codec, aus := loadAUs(t, "main.ts")
	start := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	const frame = 40 * time.Millisecond
	gop := 0 // bytes of the larger of the clip's two GOPs
	for g := 0; g < 2; g++ {
		size := 0
		for _, au := range aus[g*len(aus)/2 : (g+1)*len(aus)/2] {
			for _, n := range au.nalus {
				size += 4 + len(n)
			}
		}
		gop = max(gop, size)
	}
	tests := []struct {
		name      string
		keep      time.Duration
		maxBytes  int
		loops     int  // times the 8 s clip is fed
		skipFirst int  // access units left out at the start (joins mid-GOP)
		repeat    bool // every unit is kept twice (a resume shows the same time again)
		wantErr   error
		wantFrom  time.Duration // from start
		wantSpan  time.Duration
	}{
		{name: "last GOPs within keep", keep: 10 * time.Second, maxBytes: 64 << 20, loops: 3, wantFrom: 16 * time.Second, wantSpan: 8 * time.Second},
		{name: "all of it", keep: time.Minute, maxBytes: 64 << 20, loops: 2, wantFrom: 0, wantSpan: 16 * time.Second},
		{name: "starts on a keyframe", keep: time.Minute, maxBytes: 64 << 20, loops: 2, skipFirst: 10, wantFrom: 4 * time.Second, wantSpan: 12 * time.Second},
		{name: "byte cap keeps the last GOP", keep: time.Minute, maxBytes: gop * 3 / 2, loops: 2, wantFrom: 12 * time.Second, wantSpan: 4 * time.Second},
		{name: "byte cap under a GOP keeps nothing", keep: time.Minute, maxBytes: 1, loops: 2, wantErr: ErrNoFootage},
		{name: "same time twice", keep: time.Minute, maxBytes: 64 << 20, loops: 1, repeat: true, wantFrom: 0, wantSpan: 8 * time.Second},
		{name: "nothing yet", keep: time.Minute, maxBytes: 64 << 20, loops: 0, wantErr: ErrNoFootage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewClipBuffer(codec, tt.keep, tt.maxBytes)
			n := 0
			for l := 0; l < tt.loops; l++ {
				for _, au := range aus {
					at := start.Add(time.Duration(n) * frame)
					if n >= tt.skipFirst {
						b.Keep(at, au.nalus, au.key)
						if tt.repeat {
							b.Keep(at, au.nalus, au.key)
						}
					}
					n++
				}
			}
			path := filepath.Join(t.TempDir(), "clip.mp4")
			span, err := b.WriteMP4(path)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("WriteMP4: %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := span.From.Sub(start); got != tt.wantFrom {
				t.Errorf("clip starts %s after the start, want %s", got, tt.wantFrom)
			}
			if got := span.To.Sub(span.From); got != tt.wantSpan {
				t.Errorf("clip spans %s, want %s", got, tt.wantSpan)
			}
			p := ffprobe(t, path)
			if !p.firstIsKey || p.codec != "h264" {
				t.Fatalf("clip %+v: want H.264 from a keyframe", p)
			}
			if want := tt.wantSpan.Seconds(); math.Abs(p.duration-want) > want/10 {
				t.Fatalf("clip lasts %.2f s, want %.2f s ± 10 %%", p.duration, want)
			}
			if want := int(tt.wantSpan / frame); p.packets != want {
				t.Fatalf("clip has %d frames, want %d", p.packets, want)
			}
		})
	}
}
