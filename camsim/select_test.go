package camsim

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSelectClips(t *testing.T) {
	tests := []struct {
		name    string
		paths   []string
		want    []string
		wantErr string
	}{
		{name: "all", paths: nil, want: []string{"/main", "/sub", "/h265", "/bframes", "/aac", "/g711", "/bench2m"}},
		{name: "one without slash", paths: []string{"bench2m"}, want: []string{"/bench2m"}},
		{name: "order kept, duplicate once", paths: []string{"/sub", "main", "sub"}, want: []string{"/sub", "/main"}},
		{name: "unknown", paths: []string{"main", "nope"}, wantErr: `no clip "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectClips(tt.paths)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, src := range got {
				paths = append(paths, src.path)
			}
			if !slices.Equal(paths, tt.want) {
				t.Errorf("paths = %v, want %v", paths, tt.want)
			}
		})
	}
}

// TestBench2mRate: the load test's clip sends about 2 Mbit/s of RTP
// payload at 25 frames per second.
func TestBench2mRate(t *testing.T) {
	srcs, err := selectClips([]string{"bench2m"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadClip(srcs[0])
	if err != nil {
		t.Fatal(err)
	}
	var bytes, frames int
	for _, f := range c.frames {
		frames++
		for _, p := range f.packets {
			bytes += len(p.Payload)
		}
	}
	mbps := float64(bytes) * 8 / c.length.Seconds() / 1e6
	if mbps < 1.7 || mbps > 2.3 {
		t.Errorf("payload rate %.2f Mbit/s, want about 2", mbps)
	}
	if fps := float64(frames) / c.length.Seconds(); fps != 25 {
		t.Errorf("%.2f frames/s, want 25", fps)
	}
	if c.length != 8*time.Second {
		t.Errorf("loop %v, want 8s", c.length)
	}
}

// TestServesOnlyChosenPaths: a server started with Paths has only those.
func TestServesOnlyChosenPaths(t *testing.T) {
	t.Parallel()
	s := startServer(t, Config{Paths: []string{"bench2m"}})
	if got := s.Paths(); !slices.Equal(got, []string{"/bench2m"}) {
		t.Fatalf("Paths() = %v, want [/bench2m]", got)
	}
	v := waitFirstPackets(t, s.URL("/bench2m"), 3*time.Second)
	expectH264(t, v.desc)
}
