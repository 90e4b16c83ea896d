package cameras

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"vigie/sfu"
)

func (c *camera) isRunning() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.running
}

// waitRunning polls the camera's ingest state until it is want, for 10 s.
func waitRunning(t *testing.T, c *camera, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.isRunning() != want {
		if time.Now().After(deadline) {
			t.Fatalf("ingest running = %v after 10 s, want %v", !want, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWatchHoldsCameraOutsideRooms(t *testing.T) {
	sim := startSim(t, "", "")
	media := &shownFeeds{rooms: map[string][]*sfu.Feed{}}
	reg, err := New(context.Background(), []Camera{
		{ID: "entree", URL: sim.URL("/g711")},
		{ID: "dead", URL: "rtsp://127.0.0.1:1/none"},
	}, media, quiet(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	cam := reg.cams["entree"]

	if _, release, err := reg.Watch(context.Background(), "nope"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown camera: %v", err)
	} else {
		release()
	}

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	feeds, release, err := reg.Watch(ctx, "entree")
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) == 0 || feeds[0].Codec().MimeType != webrtc.MimeTypeH264 {
		t.Fatalf("feeds %v: want the H.264 video first", feeds)
	}
	if reg.Watchers("entree") != 1 || !cam.isRunning() {
		t.Fatal("watched camera not held or not running")
	}
	// A room that shows the camera and goes leaves the viewer's ingest alone.
	if err := reg.Attach("r1", []string{"entree"}); err != nil {
		t.Fatal(err)
	}
	reg.Detach("r1")
	if !cam.isRunning() {
		t.Fatal("ingest stopped while a viewer still watches")
	}
	// A second viewer takes the same feeds.
	again, release2, err := reg.Watch(ctx, "entree")
	if err != nil || again[0] != feeds[0] {
		t.Fatalf("second watch: %v, same feed %v", err, err == nil && again[0] == feeds[0])
	}
	release()
	if !cam.isRunning() {
		t.Fatal("ingest stopped while the second viewer watches")
	}
	release2()
	waitRunning(t, cam, false)
	if reg.Watchers("entree") != 0 {
		t.Fatalf("watchers %d after release", reg.Watchers("entree"))
	}

	// A camera that never answers: the wait ends with ctx, the hold too.
	short, cancelShort := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancelShort()
	_, releaseDead, err := reg.Watch(short, "dead")
	if err == nil {
		t.Fatal("a dead camera gave feeds")
	}
	releaseDead()
	if reg.Watchers("dead") != 0 {
		t.Fatal("dead camera still held")
	}
	waitRunning(t, reg.cams["dead"], false)
}
