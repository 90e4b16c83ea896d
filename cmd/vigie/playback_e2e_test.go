package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"golang.org/x/crypto/bcrypt"

	"vigie/camsim"
	"vigie/config"
	"vigie/store"
)

// roomViewer is a participant in a room, as a browser: the signaling
// WebSocket and a pion subscribe connection that answers every sub_offer.
// It counts the RTP packets of each camera track it receives.
type roomViewer struct {
	t    *testing.T
	conn *websocket.Conn
	pc   *webrtc.PeerConnection
	msgs chan map[string]any // everything but SDP and ICE

	mu     sync.Mutex
	tracks map[string]string // mid → camera, from the latest sub_offer
	rtp    map[string]*atomic.Int64
	keys   map[string]bool // an SPS arrived on that camera's track
}

func joinRoom(t *testing.T, srv *server, token string) *roomViewer {
	t.Helper()
	conn, pc := dialRoomClient(t, srv)
	v := &roomViewer{t: t, conn: conn, pc: pc, msgs: make(chan map[string]any, 1024),
		tracks: map[string]string{}, rtp: map[string]*atomic.Int64{}, keys: map[string]bool{}}
	pc.OnTrack(v.count)
	if err := conn.WriteJSON(map[string]any{"type": "join", "token": token, "name": "Opérateur"}); err != nil {
		t.Fatal(err)
	}
	var joined struct{ Type string }
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&joined); err != nil || joined.Type != "joined" {
		t.Fatalf("join: %+v %v", joined, err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go v.read(done)
	t.Cleanup(func() { _ = conn.Close(); <-done })
	return v
}

// read answers sub_offers and trickled candidates and queues the rest.
func (v *roomViewer) read(done chan<- struct{}) {
	defer close(done)
	for {
		var m map[string]any
		if err := v.conn.ReadJSON(&m); err != nil {
			return
		}
		switch m["type"] {
		case "sub_offer":
			v.answer(m)
		case "ice":
			if m["pc"] == "sub" {
				addCandidate(v.pc, m)
			}
		default:
			select {
			case v.msgs <- m:
			default: // the test reads what it needs; a full queue drops
			}
		}
	}
}

func (v *roomViewer) answer(m map[string]any) {
	tracks := map[string]string{}
	if ts, ok := m["tracks"].(map[string]any); ok {
		for mid, info := range ts {
			if cam, _ := info.(map[string]any)["camera"].(string); cam != "" {
				tracks[mid] = cam
			}
		}
	}
	v.mu.Lock()
	v.tracks = tracks
	v.mu.Unlock()
	sdp, _ := m["sdp"].(string)
	// Closing the incident takes the viewer out of the room: the server
	// ends the media while a last offer may still be on its way, and a
	// browser then drops that offer.
	over := func(err error) bool {
		return errors.Is(err, webrtc.ErrConnectionClosed) || v.pc.ConnectionState() == webrtc.PeerConnectionStateClosed
	}
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		if !over(err) {
			v.t.Errorf("sub_offer: %v", err)
		}
		return
	}
	ans, err := v.pc.CreateAnswer(nil)
	if err != nil {
		if !over(err) {
			v.t.Errorf("answer: %v", err)
		}
		return
	}
	gathered := webrtc.GatheringCompletePromise(v.pc)
	if err := v.pc.SetLocalDescription(ans); err != nil {
		if !over(err) {
			v.t.Errorf("answer: %v", err)
		}
		return
	}
	<-gathered
	_ = v.conn.WriteJSON(map[string]any{"type": "sub_answer", "sdp": v.pc.LocalDescription().SDP})
}

// count reads a track's RTP until it ends, by the camera of its stream.
func (v *roomViewer) count(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	cam := strings.TrimPrefix(tr.StreamID(), "camera-")
	v.mu.Lock()
	n := v.rtp[cam]
	if n == nil {
		n = &atomic.Int64{}
		v.rtp[cam] = n
	}
	v.mu.Unlock()
	for {
		p, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		n.Add(1)
		if len(p.Payload) > 0 && p.Payload[0]&0x1f == 7 {
			v.mu.Lock()
			v.keys[cam] = true
			v.mu.Unlock()
		}
	}
}

func (v *roomViewer) packets(cam string) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	if n := v.rtp[cam]; n != nil {
		return n.Load()
	}
	return 0
}

func (v *roomViewer) offered(cam string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.tracks {
		if c == cam {
			return true
		}
	}
	return false
}

// status waits for a playback_status of playback id in state.
func (v *roomViewer) status(id, state string) time.Time {
	v.t.Helper()
	return v.statusAfter(id, state, time.Time{})
}

// statusAfter waits for a playback_status of playback id in state with a
// recorded time after after.
func (v *roomViewer) statusAfter(id, state string, after time.Time) time.Time {
	v.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-v.msgs:
			if m["type"] == "playback_status" && m["id"] == id && m["state"] == state {
				at, err := time.Parse(time.RFC3339, m["recorded_at"].(string))
				if err != nil {
					v.t.Fatalf("playback_status %v: %v", m, err)
				}
				if at.After(after) {
					return at
				}
			}
		case <-deadline:
			v.t.Fatalf("no playback_status %s of %s within 10 s", state, id)
		}
	}
}

// TestPlaybackReachesARoomViewer runs the whole server with the camera
// simulator as the site's camera and recorder: an incident's room shows
// the recorded range as a new track that a WebRTC participant receives,
// playback_status starts at the requested time and advances, pause stops
// the packets, a clip is shared as a room file, and stop withdraws the
// track.
func TestPlaybackReachesARoomViewer(t *testing.T) {
	ctx := t.Context()
	sim, err := camsim.Start(ctx, camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	dir, err := os.MkdirTemp("", "vigie-playback-")
	if err != nil {
		t.Fatal(err)
	}
	const key = "playback-test-admin-key-0123456789"
	cfg := config.Default()
	cfg.Data, cfg.Listen, cfg.Admin.APIKeys = dir, "127.0.0.1:"+freePort(), []string{key}
	cfg.Cameras = []config.Camera{{ID: "cour", Name: "Cour", URL: sim.URL("/main"), PlaybackURL: sim.URL(camsim.PlaybackPath)}}
	cfg.Contacts = []config.Contact{{ID: "dupont", Name: "Capitaine Dupont", Email: "dupont@police.example"}}
	cfg.Sites = []config.Site{{ID: "joliette", Name: "Poste Joliette", Cameras: []string{"cour"}, Committee: []string{"dupont"}}}
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery staple"), 10)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Operators = []config.Operator{{Username: "alice", Name: "Alice Martin", PasswordHash: string(hash)}}
	srv, stop, err := startInProcess(ctx, cfg, dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: trustServer(srv)}, Timeout: 20 * time.Second}
	api := func(method, path, body string, want int, out any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, method, srv.publicURL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatal(err)
			}
		}
	}

	var inc struct {
		ID          string
		OperatorURL string `json:"operator_url"`
	}
	api("POST", "/api/v1/incidents", `{"site":"joliette"}`, http.StatusCreated, &inc)
	link, err := url.Parse(inc.OperatorURL)
	if err != nil {
		t.Fatal(err)
	}
	viewer := joinRoom(t, srv, link.Query().Get("t"))

	from := time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)
	var pb struct{ ID, Track string }
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback",
		`{"camera":"cour","from":"2026-12-04T14:02:10Z","to":"2026-12-04T15:02:10Z"}`, http.StatusCreated, &pb)
	if pb.Track != "cour-rec-"+pb.ID {
		t.Fatalf("track %q of playback %q", pb.Track, pb.ID)
	}
	first := viewer.status(pb.ID, "playing")
	if first.Before(from) || first.After(from.Add(3*time.Second)) {
		t.Fatalf("first recorded_at %s, want just after %s", first, from)
	}
	waitUntil(t, 10*time.Second, "the recorded track's video", func() bool {
		viewer.mu.Lock()
		defer viewer.mu.Unlock()
		return viewer.keys[pb.Track]
	})
	if !viewer.offered(pb.Track) {
		t.Fatalf("the sub_offer names no track %s", pb.Track)
	}
	n := viewer.packets(pb.Track)
	waitUntil(t, 5*time.Second, "more packets", func() bool { return viewer.packets(pb.Track) > n+20 })
	if later := viewer.statusAfter(pb.ID, "playing", first); later.Sub(first) > 5*time.Second {
		t.Fatalf("recorded_at jumped from %s to %s", first, later)
	}

	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/pause", "", http.StatusNoContent, nil)
	paused := viewer.status(pb.ID, "paused")
	quiet(t, viewer, pb.Track)
	if again := viewer.status(pb.ID, "paused"); !again.Equal(paused) {
		t.Fatalf("paused at %s, then %s", paused, again)
	}
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/resume", "", http.StatusNoContent, nil)
	n = viewer.packets(pb.Track)
	waitUntil(t, 8*time.Second, "packets after resume", func() bool { return viewer.packets(pb.Track) > n+20 })

	var clip struct{ File, Name string }
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/clip", "", http.StatusCreated, &clip)
	clipNamed := regexp.MustCompile(`^Enregistrement — caméra Cour (\d\dh\d\dm\d\d–\d\dh\d\dm\d\d) \(Recorded — camera Cour (\d\dh\d\dm\d\d–\d\dh\d\dm\d\d)\)\.mp4$`)
	if m := clipNamed.FindStringSubmatch(clip.Name); m == nil || m[1] != m[2] {
		t.Fatalf("clip %+v", clip)
	}
	waitShared(t, viewer, clip.File)

	var list struct{ Playbacks []struct{ ID, State string } }
	api("GET", "/api/v1/incidents/"+inc.ID+"/playback", "", http.StatusOK, &list)
	if len(list.Playbacks) != 1 || list.Playbacks[0].ID != pb.ID || list.Playbacks[0].State != "playing" {
		t.Fatalf("list %+v", list)
	}
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/stop", "", http.StatusNoContent, nil)
	viewer.status(pb.ID, "stopped")
	waitUntil(t, 10*time.Second, "a sub_offer without the recorded track", func() bool { return !viewer.offered(pb.Track) })
	if !viewer.offered("cour") {
		t.Fatal("the live camera went with the recorded track")
	}
	// Stopped, it stays listed as ended and its clip can still be saved,
	// until dismissed.
	api("GET", "/api/v1/incidents/"+inc.ID+"/playback", "", http.StatusOK, &list)
	if len(list.Playbacks) != 1 || list.Playbacks[0].ID != pb.ID || list.Playbacks[0].State != "ended" {
		t.Fatalf("list after stop %+v", list)
	}
	var late struct{ File, Name string }
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/clip", "", http.StatusCreated, &late)
	if clipNamed.FindStringSubmatch(late.Name) == nil || late.File == clip.File {
		t.Fatalf("clip after stop %+v", late)
	}
	waitShared(t, viewer, late.File)
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/dismiss", "", http.StatusNoContent, nil)
	api("POST", "/api/v1/incidents/"+inc.ID+"/playback/"+pb.ID+"/clip", "", http.StatusNotFound, nil)
	api("GET", "/api/v1/incidents/"+inc.ID+"/playback", "", http.StatusOK, &list)
	if len(list.Playbacks) != 0 {
		t.Fatalf("list after dismiss %+v", list)
	}

	// The console plays the same footage under the operator's name.
	op := consoleClient(t, srv, client)
	var sites struct {
		Sites []struct {
			Cameras []struct {
				ID       string
				Playback bool
			}
		}
	}
	op("GET", "/console/api/sites", "", http.StatusOK, &sites)
	if len(sites.Sites) != 1 || len(sites.Sites[0].Cameras) != 1 || !sites.Sites[0].Cameras[0].Playback {
		t.Fatalf("console sites %+v: want cour with playback", sites)
	}
	var byOp struct{ ID, Track string }
	op("POST", "/console/api/incidents/"+inc.ID+"/playback",
		`{"camera":"cour","from":"2026-12-04T14:05:00Z","to":"2026-12-04T14:06:00Z"}`, http.StatusCreated, &byOp)
	op("GET", "/console/api/incidents/"+inc.ID+"/playback", "", http.StatusOK, &list)
	if len(list.Playbacks) != 1 || list.Playbacks[0].ID != byOp.ID {
		t.Fatalf("console list %+v", list)
	}
	op("POST", "/console/api/incidents/"+inc.ID+"/playback/"+byOp.ID+"/stop", "", http.StatusNoContent, nil)
	entries, err := srv.store.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Kind, "playback_") {
			got = append(got, e.Kind+" "+e.Actor+" "+e.Detail["file"])
		}
	}
	want := []string{"playback_started admin ", "playback_clip_saved admin " + clip.File, "playback_stopped admin ",
		"playback_clip_saved admin " + late.File, "playback_started operator:alice ", "playback_stopped operator:alice "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("timeline %q, want %q", got, want)
	}

	// Closing the incident stops its playbacks and forgets the ended ones.
	op("POST", "/console/api/incidents/"+inc.ID+"/playback",
		`{"camera":"cour","from":"2026-12-04T14:05:00Z","to":"2026-12-04T14:06:00Z"}`, http.StatusCreated, &byOp)
	api("POST", "/api/v1/incidents/"+inc.ID+"/close", "", http.StatusNoContent, nil)
	api("GET", "/api/v1/incidents/"+inc.ID+"/playback", "", http.StatusOK, &list)
	if len(list.Playbacks) != 0 {
		t.Fatalf("list after close %+v", list)
	}
	entries, err = srv.store.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The viewers' camera_watch_stopped entries may follow it.
	i := slices.IndexFunc(entries, func(e store.Entry) bool {
		return e.Kind == "playback_stopped" && e.Detail["playback"] == byOp.ID
	})
	if i < 0 {
		t.Fatalf("no playback_stopped for %s in %+v", byOp.ID, entries)
	}
	if e := entries[i]; e.Actor != "system" || e.Detail["reason"] != "incident closed" {
		t.Fatalf("timeline entry %+v, want system, incident closed", e)
	}
}

// consoleClient logs alice in to the console and returns a caller of its API.
func consoleClient(t *testing.T, srv *server, client *http.Client) func(method, path, body string, want int, out any) {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.publicURL+"/console/login",
		strings.NewReader(`{"username":"alice","password":"correct horse battery staple"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Vigie-Console", "1")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "__Host-vigie_session" {
			session = c
		}
	}
	if resp.StatusCode != http.StatusOK || session == nil {
		t.Fatalf("console login: %s", resp.Status)
	}
	return func(method, path, body string, want int, out any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.publicURL+path, strings.NewReader(body))
		req.AddCookie(session)
		req.Header.Set("X-Vigie-Console", "1")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("console %s %s: %s %s", method, path, resp.Status, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// quiet waits until a track has had no packet for a second.
func quiet(t *testing.T, v *roomViewer, cam string) {
	t.Helper()
	deadline := time.Now().Add(6 * time.Second)
	last, since := v.packets(cam), time.Now()
	for time.Since(since) < time.Second {
		if time.Now().After(deadline) {
			t.Fatalf("packets of %s still flowing while paused", cam)
		}
		time.Sleep(50 * time.Millisecond)
		if n := v.packets(cam); n != last {
			last, since = n, time.Now()
		}
	}
}

// waitShared waits for the file_shared of file.
func waitShared(t *testing.T, v *roomViewer, file string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case m := <-v.msgs:
			if f, ok := m["file"].(map[string]any); ok && m["type"] == "file_shared" && f["id"] == file {
				if size, _ := f["size"].(float64); size < 1000 {
					t.Fatalf("shared clip %v", f)
				}
				return
			}
		case <-deadline:
			t.Fatalf("no file_shared of %s", file)
		}
	}
}
