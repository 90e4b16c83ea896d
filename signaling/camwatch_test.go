package signaling

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"vigie/files"
	"vigie/sfu"
	"vigie/store"
	"vigie/token"
)

// TestCameraWatchLogged: a participant who receives a camera's track is
// logged as watching it, and as having stopped when the camera leaves the
// room and when the participant leaves; in an incident room the records are
// on the timeline, chained.
func TestCameraWatchLogged(t *testing.T) {
	var viewing *files.ViewingLog
	e := newEnv(t, func(s *Server) {
		viewing = files.NewViewingLog(s.Store.(*store.Store), slog.New(slog.DiscardHandler))
		s.Viewing = viewing
	})
	t.Cleanup(viewing.Close)
	ctx, now := context.Background(), time.Now().UTC()
	room := store.Room{ID: token.NewID("r_"), Name: "Agence", CreatedAt: now}
	out, err := e.store.RecordAlarm(ctx,
		store.Alarm{ID: "a1", DedupeKey: "k1", DedupeSince: now.Add(-time.Minute), Site: "s1", Opens: true,
			Kind: "holdup", Source: "test", Code: "HA", OccurredAt: now, ReceivedAt: now, Raw: "-"},
		store.Incident{ID: "i1", Site: "s1", Room: room.ID, Kind: "holdup", Source: "test", OpenedAt: now}, room)
	if err != nil || !out.Opened {
		t.Fatalf("open incident: %+v %v", out, err)
	}
	codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	var feeds []*sfu.Feed
	for _, cam := range []string{"entree", "caisse"} {
		f, err := sfu.NewFeed(sfu.FeedConfig{Camera: cam, Codec: codec})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.srv.SFU.AttachFeed(room.ID, f); err != nil {
			t.Fatal(err)
		}
		feeds = append(feeds, f)
	}
	alice := e.joinMedia(room.ID, "p_alice", "Alice", false)
	// Each track may come in an offer of its own, sent once the one before
	// is answered.
	for range 2 {
		if len(alice.answer(t)) == 2 {
			break
		}
	}
	waitAccess(t, e.store, room.ID, "camera_watch_started:caisse camera_watch_started:entree")

	e.srv.SFU.DetachFeed(room.ID, feeds[1])
	alice.answer(t)
	waitAccess(t, e.store, room.ID, "camera_watch_started:caisse camera_watch_started:entree camera_watch_stopped:caisse")

	alice.mu.Lock()
	err = alice.conn.WriteJSON(map[string]any{"type": "leave"})
	alice.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	waitAccess(t, e.store, room.ID,
		"camera_watch_started:caisse camera_watch_started:entree camera_watch_stopped:caisse camera_watch_stopped:entree")

	entries, err := e.store.Timeline(ctx, "i1")
	if err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyChain(entries); err != nil {
		t.Fatal(err)
	}
	var watch []string
	for _, en := range entries {
		if strings.HasPrefix(en.Kind, "camera_watch") {
			if en.Actor != "p_alice" || en.Detail["actor_name"] != "Alice" {
				t.Fatalf("entry %+v", en)
			}
			watch = append(watch, en.Kind+":"+en.Detail["camera"])
		}
	}
	if len(watch) != 4 {
		t.Fatalf("timeline camera entries %v", watch)
	}
}

// waitAccess polls the room's access log until it reads want, as
// "kind:subject" separated by spaces, sorted.
func waitAccess(t *testing.T, st *store.Store, room, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		log, err := st.AccessLog(context.Background(), room)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, a := range log {
			parts = append(parts, a.Kind+":"+a.Subject)
		}
		slices.Sort(parts)
		if got = strings.Join(parts, " "); got == want {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("access log %q, want %q", got, want)
}
