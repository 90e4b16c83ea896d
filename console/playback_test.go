package console

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// fakePlayback records what the console asked and answers like playback.API.
type fakePlayback struct {
	calls []string
}

func (f *fakePlayback) ServeStart(w http.ResponseWriter, r *http.Request, incident, actor string) {
	var body struct{ Camera string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	f.calls = append(f.calls, "start "+incident+" "+body.Camera+" by "+actor)
	writeJSON(w, http.StatusCreated, map[string]string{"id": "p1", "track": body.Camera + "-rec-p1"})
}

func (f *fakePlayback) ServeList(w http.ResponseWriter, _ *http.Request, incident string) {
	f.calls = append(f.calls, "list "+incident)
	writeJSON(w, http.StatusOK, map[string]any{"playbacks": []any{}})
}

func (f *fakePlayback) ServeAction(w http.ResponseWriter, _ *http.Request, incident, pid, action, actor, uploader string) {
	f.calls = append(f.calls, action+" "+incident+" "+pid+" by "+actor+" ("+uploader+")")
	if action == "clip" {
		writeJSON(w, http.StatusCreated, map[string]string{"file": "f_1", "name": "clip.mp4"})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func TestPlaybackRoutes(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	cookie := h.login("alice", password)
	start := map[string]string{"camera": "guichet", "from": "2026-12-04T14:02:10Z", "to": "2026-12-04T14:05:00Z"}

	if w := h.do(request{method: "POST", path: "/console/api/incidents/i_1/playback", body: start, cookie: cookie}); w.Code != http.StatusNotFound || errorCode(t, w) != "not_found" {
		t.Fatalf("start without playback = %d %s", w.Code, w.Body)
	}
	if w := h.do(request{method: "GET", path: "/console/api/sites", cookie: cookie}); strings.Contains(w.Body.String(), "playback") {
		t.Fatalf("sites without playback: %s", w.Body)
	}

	fake := &fakePlayback{}
	h.console.SetPlayback(fake, func(camera string) bool { return camera == "guichet" })
	tests := []struct {
		name     string
		req      request
		want     int
		code     string // error code, or a field of the answer
		wantCall string
	}{
		{"start without login", request{method: "POST", path: "/console/api/incidents/i_1/playback", body: start}, http.StatusUnauthorized, "unauthorized", ""},
		{"start without header", request{method: "POST", path: "/console/api/incidents/i_1/playback", body: start, cookie: cookie, noCSRF: true}, http.StatusForbidden, "forbidden", ""},
		{"start", request{method: "POST", path: "/console/api/incidents/i_1/playback", body: start, cookie: cookie}, http.StatusCreated, "track", "start i_1 guichet by operator:alice"},
		{"list without login", request{method: "GET", path: "/console/api/incidents/i_1/playback"}, http.StatusUnauthorized, "unauthorized", ""},
		{"list", request{method: "GET", path: "/console/api/incidents/i_1/playback", cookie: cookie}, http.StatusOK, "playbacks", "list i_1"},
		{"pause without header", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/pause", cookie: cookie, noCSRF: true}, http.StatusForbidden, "forbidden", ""},
		{"pause without login", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/pause"}, http.StatusUnauthorized, "unauthorized", ""},
		{"pause", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/pause", cookie: cookie}, http.StatusNoContent, "", "pause i_1 p1 by operator:alice (Alice Martin)"},
		{"resume", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/resume", cookie: cookie}, http.StatusNoContent, "", "resume i_1 p1 by operator:alice (Alice Martin)"},
		{"clip", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/clip", cookie: cookie}, http.StatusCreated, "file", "clip i_1 p1 by operator:alice (Alice Martin)"},
		{"stop", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/stop", cookie: cookie}, http.StatusNoContent, "", "stop i_1 p1 by operator:alice (Alice Martin)"},
		{"dismiss", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/dismiss", cookie: cookie}, http.StatusNoContent, "", "dismiss i_1 p1 by operator:alice (Alice Martin)"},
		{"dismiss without header", request{method: "POST", path: "/console/api/incidents/i_1/playback/p1/dismiss", cookie: cookie, noCSRF: true}, http.StatusForbidden, "forbidden", ""},
		{"GET on an action", request{method: "GET", path: "/console/api/incidents/i_1/playback/p1/stop", cookie: cookie}, http.StatusNotFound, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(fake.calls)
			w := h.do(tt.req)
			if w.Code != tt.want {
				t.Fatalf("%d, want %d: %s", w.Code, tt.want, w.Body)
			}
			switch {
			case w.Code >= 400 && tt.code != "":
				if got := errorCode(t, w); got != tt.code {
					t.Fatalf("error %q, want %q", got, tt.code)
				}
			case tt.code != "":
				var body map[string]any
				if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body[tt.code] == nil {
					t.Fatalf("answer %s lacks %q", w.Body, tt.code)
				}
			}
			var call string
			if len(fake.calls) > before {
				call = fake.calls[len(fake.calls)-1]
			}
			if len(fake.calls) > before+1 || call != tt.wantCall {
				t.Fatalf("playback got %q, want %q", fake.calls[before:], tt.wantCall)
			}
		})
	}

	w := h.do(request{method: "GET", path: "/console/api/sites", cookie: cookie})
	var sites struct {
		Sites []struct {
			ID      string
			Cameras []map[string]any
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &sites); err != nil {
		t.Fatal(err)
	}
	flags := map[string]any{}
	for _, s := range sites.Sites {
		for _, c := range s.Cameras {
			flags[c["id"].(string)] = c["playback"]
		}
	}
	if flags["guichet"] != true || flags["rue"] != nil {
		t.Fatalf("playback flags %v, want guichet true and rue omitted", flags)
	}
}
