package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/ivfreader"

	"vigie/config"
)

// publisher is a participant that sends VP8 and Opus from the record
// package's test clips, as a browser would: join, pub_offer, trickle.
type publisher struct {
	t      *testing.T
	conn   *websocket.Conn
	pc     *webrtc.PeerConnection
	joined map[string]any
	video  *webrtc.TrackLocalStaticSample
	audio  *webrtc.TrackLocalStaticSample
}

func publish(t *testing.T, srv *server, token, name string) *publisher {
	t.Helper()
	conn, pc := dialRoomClient(t, srv)
	var err error
	p := &publisher{t: t, conn: conn, pc: pc}
	if p.video, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "me"); err != nil {
		t.Fatal(err)
	}
	if p.audio, err = webrtc.NewTrackLocalStaticSample(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "me"); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []webrtc.TrackLocal{p.video, p.audio} {
		if _, err := pc.AddTrack(tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := conn.WriteJSON(map[string]any{"type": "join", "token": token, "name": name}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if err := conn.ReadJSON(&p.joined); err != nil || p.joined["type"] != "joined" {
		t.Fatalf("join: %v %v", p.joined, err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	sources := map[string]string{}
	for _, tr := range pc.GetTransceivers() {
		sources[tr.Mid()] = map[bool]string{true: "microphone", false: "camera"}[tr.Kind() == webrtc.RTPCodecTypeAudio]
	}
	if err := conn.WriteJSON(map[string]any{"type": "pub_offer", "sdp": pc.LocalDescription().SDP, "sources": sources}); err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			close(connected)
		}
	})
	_ = conn.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go p.read(done)
	t.Cleanup(func() { _ = conn.Close(); <-done })
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("publish connection not connected")
	}
	return p
}

// read applies pub_answer and the server's candidates until the
// connection closes.
func (p *publisher) read(done chan<- struct{}) {
	defer close(done)
	for {
		var m map[string]any
		if err := p.conn.ReadJSON(&m); err != nil {
			return
		}
		switch {
		case m["type"] == "pub_answer":
			sdp, _ := m["sdp"].(string)
			if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
				p.t.Errorf("pub_answer: %v", err)
			}
		case m["type"] == "ice" && m["pc"] == "pub":
			addCandidate(p.pc, m)
		}
	}
}

// send plays the clips in real time for about d.
func (p *publisher) send(d time.Duration) {
	p.t.Helper()
	frames := ivfFrames(p.t, "../../record/testdata/participant-vp8.ivf")
	packets := oggPackets(p.t, "../../record/testdata/participant-opus.ogg")
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := range int(d / (20 * time.Millisecond)) {
			<-tick.C
			_ = p.audio.WriteSample(media.Sample{Data: packets[i%len(packets)], Duration: 20 * time.Millisecond})
		}
	}()
	tick := time.NewTicker(40 * time.Millisecond)
	defer tick.Stop()
	for i := range int(d / (40 * time.Millisecond)) {
		<-tick.C
		if err := p.video.WriteSample(media.Sample{Data: frames[i%len(frames)], Duration: 40 * time.Millisecond}); err != nil {
			p.t.Fatal(err)
		}
	}
	<-done
}

func ivfFrames(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := ivfreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frame)
	}
}

// oggPackets reads an Ogg file's packets, the two Opus headers left out.
func oggPackets(t *testing.T, path string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var packets [][]byte
	var cur []byte
	for len(data) >= 27 {
		n := int(data[26])
		lacing, body := data[27:27+n], data[27+n:]
		for _, l := range lacing {
			cur, body = append(cur, body[:l]...), body[l:]
			if l < 255 {
				packets, cur = append(packets, cur), nil
			}
		}
		data = body
	}
	return packets[2:]
}

// probeStream is ffprobe's codec and duration of a file's first stream.
func probeStream(t *testing.T, path string) (codec string, seconds float64) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v %s", path, err, stderrOf(err))
	}
	var res struct {
		Streams []struct {
			Codec string `json:"codec_name"`
		} `json:"streams"`
		Format struct {
			Duration json.Number `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res.Streams) == 0 {
		t.Fatalf("ffprobe %s: %s %v", path, out, err)
	}
	secs, _ := res.Format.Duration.Float64()
	return res.Streams[0].Codec, secs
}

func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}

// TestParticipantsRecorded: a participant sends VP8 and Opus in an
// incident's room for 3 s. With recording.participants on, `joined` says
// so, both tracks are on disk once the incident closes, readable, and the
// evidence bundle holds them and verifies; off, nothing is written.
func TestParticipantsRecorded(t *testing.T) {
	for _, on := range []bool{true, false} {
		t.Run(map[bool]string{true: "on", false: "off"}[on], func(t *testing.T) {
			dir, err := os.MkdirTemp("", "vigie-partrec-")
			if err != nil {
				t.Fatal(err)
			}
			const key = "partrec-test-admin-key-0123456789"
			cfg := config.Default()
			cfg.Data, cfg.Listen, cfg.Admin.APIKeys = dir, "127.0.0.1:"+freePort(), []string{key}
			cfg.Recording.Participants = on
			cfg.Contacts = []config.Contact{{ID: "dupont", Name: "Capitaine Dupont", Email: "dupont@police.example"}}
			cfg.Sites = []config.Site{{ID: "joliette", Name: "Poste Joliette", Committee: []string{"dupont"}}}
			srv, stop, err := startInProcess(t.Context(), cfg, dir, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			client := &http.Client{Transport: &http.Transport{TLSClientConfig: trustServer(srv)}, Timeout: 20 * time.Second}
			post := func(path, body string, want int, out any) {
				t.Helper()
				req, _ := http.NewRequest(http.MethodPost, srv.publicURL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != want {
					t.Fatalf("POST %s: %s %s", path, resp.Status, b)
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
			post("/api/v1/incidents", `{"site":"joliette"}`, http.StatusCreated, &inc)
			link, err := url.Parse(inc.OperatorURL)
			if err != nil {
				t.Fatal(err)
			}
			p := publish(t, srv, link.Query().Get("t"), "Léa Martin")
			if got := p.joined["recording"]; got != on {
				t.Fatalf("joined recording = %v, want %v", got, on)
			}
			self := p.joined["self"].(map[string]any)["id"].(string)
			p.send(3 * time.Second)
			post("/api/v1/incidents/"+inc.ID+"/close", "", http.StatusNoContent, nil)

			folder := filepath.Join(dir, "recordings", inc.ID, "participants")
			if !on {
				if _, err := os.Stat(folder); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("recording.participants off, yet %s: %v", folder, err)
				}
				return
			}
			who := filepath.Join(folder, "Léa_Martin-"+self)
			entries, err := os.ReadDir(who)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{} // codec -> bundle path
			for _, e := range entries {
				codec, secs := probeStream(t, filepath.Join(who, e.Name()))
				t.Logf("%s: %s, %.2f s", e.Name(), codec, secs)
				if secs < 1 || secs > 3.3 {
					t.Errorf("%s: %s lasts %.2f s, 3 s were sent", e.Name(), codec, secs)
				}
				got[codec] = "recordings/participants/Léa_Martin-" + self + "/" + e.Name()
			}
			if got["vp8"] == "" || got["opus"] == "" || len(entries) != 2 {
				t.Fatalf("files %v: want one VP8 and one Opus", entries)
			}

			bundle := filepath.Join(t.TempDir(), "b.zip")
			if code, out := runCLI(t, "evidence", "export", inc.ID, "-o", bundle, "--data", dir); code != 0 {
				t.Fatalf("export exit %d: %s", code, out)
			}
			zr, err := zip.OpenReader(bundle)
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]bool{}
			for _, f := range zr.File {
				names[f.Name] = true
			}
			zr.Close()
			for _, path := range got {
				if !names[path] {
					t.Errorf("bundle lacks %s", path)
				}
			}
			_, keyOut := runCLI(t, "evidence", "key", "--data", dir)
			if code, out := runCLI(t, "evidence", "verify", bundle, "--key", strings.Fields(keyOut)[0]); code != 0 || !strings.Contains(out, "OK: intact") {
				t.Fatalf("verify exit %d: %s", code, out)
			}
		})
	}
}
