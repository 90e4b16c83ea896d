package signaling

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"vigie/cameras"
	"vigie/sfu"
	"vigie/token"
)

const testAdminKey = "admin-key-0123456789abcdef"

// feedCamera is one camera made of a real sfu.Feed, shown in one room:
// the registry's part for signaling, without RTSP.
type feedCamera struct {
	id, room string
	feed     *sfu.Feed
	watchers atomic.Int32
}

func newFeedCamera(t *testing.T, id, room string) *feedCamera {
	t.Helper()
	f, err := sfu.NewFeed(sfu.FeedConfig{Camera: id, Codec: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &feedCamera{id: id, room: room, feed: f}
}

func (c *feedCamera) Has(id string) bool { return id == c.id }

func (c *feedCamera) Watch(_ context.Context, id string) ([]*sfu.Feed, func(), error) {
	c.watchers.Add(1)
	return []*sfu.Feed{c.feed}, func() { c.watchers.Add(-1) }, nil
}

func (c *feedCamera) RoomCameras(room string) []cameras.Status {
	if room != c.room {
		return nil
	}
	return []cameras.Status{{ID: c.id, Name: c.id, State: "live"}}
}

// writeKeyframe writes SPS, PPS and an IDR slice large enough to be cut
// into FU-A packets.
func (c *feedCamera) writeKeyframe(pts int64) {
	idr := make([]byte, 3000)
	idr[0] = 0x65
	for i := 1; i < len(idr); i++ {
		idr[i] = byte(i)
	}
	c.feed.WriteVideo(pts, [][]byte{{0x67, 0x42, 0xe0, 0x1f, 0x8c, 0x8d}, {0x68, 0xce, 0x3c, 0x80}, idr}, true)
}

// whepEnv is a server with the admin key and one camera in one room.
func whepEnv(t *testing.T, limits Limits) (*testEnv, *feedCamera, string) {
	t.Helper()
	var cam *feedCamera
	var room string
	e := newEnv(t, func(s *Server) {
		s.AdminKey = func(k string) bool { return k == testAdminKey }
		s.Limits = limits
	})
	room = e.room("Exercice")
	cam = newFeedCamera(t, "entree", room)
	e.srv.Watch, e.srv.Cameras = cam, cam
	if err := e.srv.SFU.AttachFeed(room, cam.feed); err != nil {
		t.Fatal(err)
	}
	return e, cam, room
}

func (e *testEnv) request(method, path, bearer, ctype, body string, header ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func clientAPI() *webrtc.API {
	m := &webrtc.MediaEngine{}
	_ = m.RegisterDefaultCodecs()
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(se))
}

// whepOffer is a player's receive-only offer of one video and one audio
// m-line, candidates included.
func whepOffer(t *testing.T) (*webrtc.PeerConnection, string) {
	t.Helper()
	return whepOfferWith(t, 1)
}

func whepOfferWith(t *testing.T, videos int) (*webrtc.PeerConnection, string) {
	t.Helper()
	pc, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	kinds := []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio}
	for range videos {
		kinds = append(kinds, webrtc.RTPCodecTypeVideo)
	}
	for _, k := range kinds {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	return pc, gatheredOffer(t, pc)
}

func gatheredOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("client ICE gathering did not end")
	}
	return pc.LocalDescription().SDP
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWHEPConformance(t *testing.T) {
	e, _, room := whepEnv(t, Limits{})
	otherRoom := e.room("Autre")
	roomTok := e.token(room, "p_a", "Alice", time.Hour)
	otherTok := e.token(otherRoom, "p_b", "Bob", time.Hour)
	_, offer := whepOffer(t)
	const cam = "/api/v1/whep/cameras/entree"

	tests := []struct {
		name, method, path, bearer, ctype, body string
		want                                    int
	}{
		{"options", http.MethodOptions, cam, "", "", "", http.StatusNoContent},
		{"get not allowed", http.MethodGet, cam, testAdminKey, "", "", http.StatusMethodNotAllowed},
		{"no content type", http.MethodPost, cam, testAdminKey, "", offer, http.StatusUnsupportedMediaType},
		{"json content type", http.MethodPost, cam, testAdminKey, "application/json", offer, http.StatusUnsupportedMediaType},
		{"no token", http.MethodPost, cam, "", mimeSDP, offer, http.StatusUnauthorized},
		{"bad token", http.MethodPost, cam, "not-a-token", mimeSDP, offer, http.StatusUnauthorized},
		{"unknown camera", http.MethodPost, "/api/v1/whep/cameras/nope", testAdminKey, mimeSDP, offer, http.StatusNotFound},
		{"camera not in the link's room", http.MethodPost, cam, otherTok, mimeSDP, offer, http.StatusForbidden},
		{"empty body", http.MethodPost, cam, testAdminKey, mimeSDP, "", http.StatusBadRequest},
		{"not SDP", http.MethodPost, cam, testAdminKey, mimeSDP, "hello", http.StatusBadRequest},
		{"room link for another room", http.MethodPost, "/api/v1/whep/rooms/" + room, otherTok, mimeSDP, offer, http.StatusForbidden},
		{"unknown room", http.MethodPost, "/api/v1/whep/rooms/r_nope", testAdminKey, mimeSDP, offer, http.StatusNotFound},
		{"room with nothing to watch", http.MethodPost, "/api/v1/whep/rooms/" + otherRoom, testAdminKey, mimeSDP, offer, http.StatusConflict},
		{"unknown session", http.MethodDelete, "/api/v1/whep/sessions/0123", testAdminKey, "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := e.request(tt.method, tt.path, tt.bearer, tt.ctype, tt.body)
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s: %d %q, want %d", tt.method, tt.path, resp.StatusCode, readBody(t, resp), tt.want)
			}
			if resp.StatusCode >= 400 && resp.StatusCode != 405 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Errorf("error Content-Type %q, want text/plain", resp.Header.Get("Content-Type"))
			}
			if tt.method == http.MethodOptions && resp.Header.Get("Accept-Post") != mimeSDP {
				t.Errorf("Accept-Post %q", resp.Header.Get("Accept-Post"))
			}
		})
	}

	// A session made with a room's link, then trickled into and deleted.
	resp := e.request(http.MethodPost, cam, roomTok, mimeSDP, offer)
	answer := readBody(t, resp)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST: %d %q", resp.StatusCode, answer)
	}
	loc, etag := resp.Header.Get("Location"), resp.Header.Get("ETag")
	if resp.Header.Get("Content-Type") != mimeSDP || !strings.HasPrefix(loc, "/api/v1/whep/sessions/") || etag == "" {
		t.Fatalf("POST headers %v", resp.Header)
	}
	if !strings.Contains(answer, "a=candidate:") || !strings.HasPrefix(answer, "v=0") {
		t.Fatalf("answer without candidates:\n%s", answer)
	}
	frag := "a=ice-ufrag:" + sdpUfrag(offer) + "\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n"
	patches := []struct {
		name, bearer, ctype, ifMatch, body string
		want                               int
	}{
		{"wrong content type", roomTok, mimeSDP, etag, frag, http.StatusUnsupportedMediaType},
		{"wrong etag", roomTok, mimeSDPFrag, `"stale"`, frag, http.StatusPreconditionFailed},
		{"another token", otherTok, mimeSDPFrag, etag, frag, http.StatusForbidden},
		{"no token", "", mimeSDPFrag, etag, frag, http.StatusUnauthorized},
		{"ice restart", roomTok, mimeSDPFrag, etag, "a=ice-ufrag:other\r\na=ice-pwd:0123456789abcdef01234567\r\n", http.StatusUnprocessableEntity},
		{"garbage", roomTok, mimeSDPFrag, etag, "hello", http.StatusBadRequest},
		{"candidate", roomTok, mimeSDPFrag, etag, frag, http.StatusNoContent},
		{"candidate, any etag", roomTok, mimeSDPFrag, "*", frag, http.StatusNoContent},
	}
	for _, tt := range patches {
		t.Run("patch "+tt.name, func(t *testing.T) {
			resp := e.request(http.MethodPatch, loc, tt.bearer, tt.ctype, tt.body, "If-Match", tt.ifMatch)
			if resp.StatusCode != tt.want {
				t.Fatalf("PATCH: %d %q, want %d", resp.StatusCode, readBody(t, resp), tt.want)
			}
		})
	}
	if resp := e.request(http.MethodOptions, loc, "", "", ""); resp.StatusCode != http.StatusNoContent || resp.Header.Get("Accept-Patch") != mimeSDPFrag {
		t.Fatalf("OPTIONS session: %d %v", resp.StatusCode, resp.Header)
	}
	if resp := e.request(http.MethodDelete, loc, roomTok, "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if resp := e.request(http.MethodDelete, loc, roomTok, "", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("second DELETE: %d, want 404", resp.StatusCode)
	}
	if resp := e.request(http.MethodPatch, loc, roomTok, mimeSDPFrag, frag); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("PATCH after DELETE: %d, want 404", resp.StatusCode)
	}
	if n := e.srv.WHEPSessions(); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
}

// post makes a session and returns its URL; it fails the test otherwise.
func (e *testEnv) post(path, bearer, offer string) (loc, answer string) {
	e.t.Helper()
	resp := e.request(http.MethodPost, path, bearer, mimeSDP, offer)
	answer = readBody(e.t, resp)
	if resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("POST %s: %d %q", path, resp.StatusCode, answer)
	}
	return resp.Header.Get("Location"), answer
}

func applyAnswer(t *testing.T, pc *webrtc.PeerConnection, answer string) {
	t.Helper()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
}

// nextTrack waits for the client's first remote track.
func nextTrack(t *testing.T, tracks <-chan *webrtc.TrackRemote) *webrtc.TrackRemote {
	t.Helper()
	select {
	case tr := <-tracks:
		return tr
	case <-time.After(10 * time.Second):
		t.Fatal("no track within 10 s")
		return nil
	}
}

func onTracks(pc *webrtc.PeerConnection) <-chan *webrtc.TrackRemote {
	ch := make(chan *webrtc.TrackRemote, 4)
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		select {
		case ch <- tr:
		default:
		}
	})
	return ch
}

// expectH264Keyframe reads until an SPS and then an IDR slice arrive.
func expectH264Keyframe(t *testing.T, tr *webrtc.TrackRemote) {
	t.Helper()
	if !strings.EqualFold(tr.Codec().MimeType, webrtc.MimeTypeH264) {
		t.Fatalf("track codec %s", tr.Codec().MimeType)
	}
	_ = tr.SetReadDeadline(time.Now().Add(10 * time.Second))
	sps := false
	for range 1000 {
		p, _, err := tr.ReadRTP()
		if err != nil {
			t.Fatalf("read: %v (SPS seen: %v)", err, sps)
		}
		switch nal := p.Payload[0] & 0x1f; {
		case nal == 7:
			sps = true
		case sps && (nal == 5 || nal == 28 && p.Payload[1]&0x1f == 5):
			return
		}
	}
	t.Fatal("no H.264 keyframe in 1000 packets")
}

func TestWHEPViewerStartsFromCachedKeyframe(t *testing.T) {
	e, cam, _ := whepEnv(t, Limits{})
	cam.writeKeyframe(90000) // before the viewer: only the cache has it
	pc, offer := whepOffer(t)
	tracks := onTracks(pc)
	loc, answer := e.post("/api/v1/whep/cameras/entree", testAdminKey, offer)
	applyAnswer(t, pc, answer)
	expectH264Keyframe(t, nextTrack(t, tracks))
	if n := cam.watchers.Load(); n != 1 {
		t.Fatalf("camera held by %d viewers, want 1", n)
	}
	e.request(http.MethodDelete, loc, testAdminKey, "", "")
	if n := cam.watchers.Load(); n != 0 {
		t.Fatalf("camera still held by %d viewers after DELETE", n)
	}
}

// whipPublisher publishes a VP8 track of numbered packets over WHIP.
func whipPublisher(t *testing.T, e *testEnv, room, bearer string) (loc string) {
	t.Helper()
	pc, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	track, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "obs", "obs")
	if _, err := pc.AddTrack(track); err != nil {
		t.Fatal(err)
	}
	loc, answer := e.post("/api/v1/whip/rooms/"+room, bearer, gatheredOffer(t, pc))
	applyAnswer(t, pc, answer)
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for n := uint16(1); ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: n, Timestamp: uint32(n) * 3000}, Payload: packetBody(n)})
		}
	}()
	return loc
}

func TestWHIPPublisherReachesParticipants(t *testing.T) {
	e, _, room := whepEnv(t, Limits{})
	bob := e.joinMedia(room, "p_b", "Bob", false)
	bob.answer(t) // the room's camera
	tok := e.token(room, "p_a", "Alice", time.Hour)
	loc := whipPublisher(t, e, room, tok)

	joined := bob.expect("participant_joined")
	p := joined["participant"].(map[string]any)
	if p["name"] != "Alice (WHIP)" || !strings.HasPrefix(p["id"].(string), "w_") {
		t.Fatalf("participant_joined %v", p)
	}
	if got := e.srv.ParticipantName(room, p["id"].(string)); got != "Alice (WHIP)" {
		t.Fatalf("ParticipantName of the WHIP publisher = %q", got)
	}
	tracks := bob.answer(t)
	found := false
	for _, info := range tracks {
		m := info.(map[string]any)
		if m["participant"] == p["id"] && m["source"] == "camera" {
			found = true
		}
	}
	if !found {
		t.Fatalf("sub_offer tracks %v lack the WHIP video", tracks)
	}
	bob.pumpICE(t)
	// The camera's track comes too; read the WHIP one.
	deadline := time.After(10 * time.Second)
	var tr *webrtc.TrackRemote
	for tr == nil {
		select {
		case got := <-bob.tracks:
			if got.Codec().MimeType == webrtc.MimeTypeVP8 {
				tr = got
			}
		case <-deadline:
			t.Fatal("bob received no VP8 track")
		}
	}
	_ = tr.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i := range 50 {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			t.Fatalf("after %d packets: %v", i, err)
		}
		if string(pkt.Payload) != string(packetBody(pkt.SequenceNumber)) {
			t.Fatalf("packet %d altered", pkt.SequenceNumber)
		}
	}
	// A newcomer learns the publisher's name with the room.
	carol := e.dial()
	carol.send(map[string]any{"type": "join", "token": e.token(room, "p_c", "Carol", time.Hour)})
	others, _ := carol.expect("joined")["participants"].([]any)
	if !slices.ContainsFunc(others, func(o any) bool { return o.(map[string]any)["id"] == p["id"] }) {
		t.Fatalf("joined lists %v, not the WHIP publisher", others)
	}
	if resp := e.request(http.MethodDelete, loc, tok, "", ""); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	if left := carol.expect("participant_left"); left["id"] != p["id"] {
		t.Fatalf("participant_left %v", left)
	}
}

func TestWHIPRefusesObservers(t *testing.T) {
	e, _, room := whepEnv(t, Limits{})
	tok, err := e.signer.Sign(token.Claims{Room: room, Subject: "p_o", Name: "Obs", Role: token.RoleObserver, Expiry: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	resp := e.request(http.MethodPost, "/api/v1/whip/rooms/"+room, tok, mimeSDP, gatheredOffer(t, pc))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("observer WHIP: %d, want 403", resp.StatusCode)
	}
	// The same observer may watch.
	_, offer := whepOffer(t)
	e.post("/api/v1/whep/cameras/entree", tok, offer)
}

func TestWHEPRoomViewerSeesPublishedTracks(t *testing.T) {
	e, cam, room := whepEnv(t, Limits{ConnectionsPerIPPerMinute: 10000})
	cam.writeKeyframe(90000)
	alice := e.joinMedia(room, "p_a", "Alice", true)
	alice.publish(t)
	alice.pumpICE(t)
	// Alice's track is in the room once the SFU reads its first packet.
	var pc *webrtc.PeerConnection
	var tracks <-chan *webrtc.TrackRemote
	pollUntil(t, func() bool {
		var offer string
		pc, offer = whepOfferWith(t, 2)
		tracks = onTracks(pc)
		resp := e.request(http.MethodPost, "/api/v1/whep/rooms/"+room, testAdminKey, mimeSDP, offer)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST: %d", resp.StatusCode)
		}
		answer := readBody(t, resp)
		if strings.Count(answer, "a=msid:") < 2 { // a track per video m-line
			e.request(http.MethodDelete, resp.Header.Get("Location"), testAdminKey, "", "")
			return false
		}
		applyAnswer(t, pc, answer)
		return true
	})
	var gotCamera, gotAlice bool
	for !gotCamera || !gotAlice {
		tr := nextTrack(t, tracks)
		switch tr.Codec().MimeType {
		case webrtc.MimeTypeH264:
			expectH264Keyframe(t, tr)
			gotCamera = true
		case webrtc.MimeTypeVP8:
			_ = tr.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, _, err := tr.ReadRTP(); err != nil {
				t.Fatal(err)
			}
			gotAlice = true
		}
	}
}

func TestWHEPSessionEndsWhenRoomCloses(t *testing.T) {
	e, _, room := whepEnv(t, Limits{})
	tok := e.token(room, "p_a", "Alice", time.Hour)
	_, offer := whepOffer(t)
	loc, _ := e.post("/api/v1/whep/cameras/entree", tok, offer)
	e.srv.sweepWHEPOnce()
	if e.srv.WHEPSessions() != 1 {
		t.Fatal("session ended while its room is open")
	}
	if err := e.store.CloseRoom(context.Background(), room, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	e.srv.sweepWHEPOnce()
	if resp := e.request(http.MethodDelete, loc, tok, "", ""); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("DELETE after the room closed: %d, want 404", resp.StatusCode)
	}
}

func TestWHEPShutdown(t *testing.T) {
	e, cam, _ := whepEnv(t, Limits{})
	_, offer := whepOffer(t)
	e.post("/api/v1/whep/cameras/entree", testAdminKey, offer)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.WHEPSessions(); n != 0 || cam.watchers.Load() != 0 {
		t.Fatalf("after shutdown: %d sessions, camera held %d times", n, cam.watchers.Load())
	}
	if resp := e.request(http.MethodPost, "/api/v1/whep/cameras/entree", testAdminKey, mimeSDP, offer); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("POST after shutdown: %d, want 503", resp.StatusCode)
	}
}

// pollUntil retries cond every 100 ms for up to 10 s.
func pollUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
