package playback

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"vigie/camsim"
	"vigie/config"
	"vigie/sfu"
	"vigie/store"
)

type fakeIncidents map[string]store.Incident

func (f fakeIncidents) Incident(_ context.Context, id string) (store.Incident, error) {
	inc, ok := f[id]
	if !ok {
		return store.Incident{}, errors.New("not found")
	}
	return inc, nil
}

func TestAPI(t *testing.T) {
	sim, err := camsim.Start(t.Context(), camsim.Config{Addr: "127.0.0.1:0", Paths: []string{"main"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	fake := &fakeRoom{attached: map[*sfu.Feed]string{}}
	svc := NewService(ServiceConfig{Cameras: []config.Camera{{ID: "cour", URL: sim.URL("main"), PlaybackURL: sim.URL("playback")}},
		Rooms: fake, Signaling: fake, Timeline: fake})
	defer svc.Close()
	closed := time.Now()
	api := &API{Service: svc, Sites: []config.Site{{ID: "s1", Cameras: []string{"cour"}}, {ID: "s2"}},
		Incidents: fakeIncidents{"i1": {ID: "i1", Site: "s1", Room: "r1"}, "i2": {ID: "i2", Site: "s1", Room: "r2", ClosedAt: &closed},
			"i3": {ID: "i3", Site: "s2", Room: "r3"}}}
	mux := http.NewServeMux()
	api.Routes(mux, func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer k" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next(w, r)
		}
	})
	do := func(path, body, key string) *httptest.ResponseRecorder {
		method := http.MethodPost
		if strings.HasPrefix(path, "GET ") {
			method, path = http.MethodGet, strings.TrimPrefix(path, "GET ")
		}
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	good := `{"camera":"cour","from":"2026-12-04T14:02:10Z","to":"2026-12-04T14:05:10Z"}`
	tests := []struct {
		name, path, body, key string
		want                  int
		code                  string
	}{
		{"no key", "/api/v1/incidents/i1/playback", good, "", http.StatusUnauthorized, ""},
		{"bad body", "/api/v1/incidents/i1/playback", `{`, "k", http.StatusBadRequest, "bad_request"},
		{"no incident", "/api/v1/incidents/nope/playback", good, "k", http.StatusNotFound, "not_found"},
		{"closed incident", "/api/v1/incidents/i2/playback", good, "k", http.StatusConflict, "conflict"},
		{"unknown camera", "/api/v1/incidents/i1/playback", strings.Replace(good, "cour", "x", 1), "k", http.StatusBadRequest, "bad_request"},
		{"camera of another site", "/api/v1/incidents/i3/playback", good, "k", http.StatusBadRequest, "bad_request"},
		{"reversed", "/api/v1/incidents/i1/playback", `{"camera":"cour","from":"2026-12-04T14:05:10Z","to":"2026-12-04T14:02:10Z"}`, "k", http.StatusBadRequest, "bad_request"},
		{"from in the future", "/api/v1/incidents/i1/playback", `{"camera":"cour","from":"` + time.Now().Add(time.Hour).UTC().Format(time.RFC3339) +
			`","to":"` + time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339) + `"}`, "k", http.StatusBadRequest, "bad_request"},
		{"unknown field", "/api/v1/incidents/i1/playback", strings.Replace(good, `}`, `,"speed":4}`, 1), "k", http.StatusBadRequest, "bad_request"},
		{"no times", "/api/v1/incidents/i1/playback", `{"camera":"cour"}`, "k", http.StatusBadRequest, "bad_request"},
		{"unknown playback", "/api/v1/incidents/i1/playback/zz/stop", "", "k", http.StatusNotFound, "not_found"},
		{"list without key", "GET /api/v1/incidents/i1/playback", "", "", http.StatusUnauthorized, ""},
		{"list of no incident", "GET /api/v1/incidents/nope/playback", "", "k", http.StatusNotFound, "not_found"},
		{"empty list", "GET /api/v1/incidents/i1/playback", "", "k", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(tt.path, tt.body, tt.key)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(w.Body.Bytes(), &body)
			if body.Error.Code != tt.code || (tt.code != "" && body.Error.Message == "") {
				t.Fatalf("error %+v, want code %q", body.Error, tt.code)
			}
		})
	}
	w := do("/api/v1/incidents/i1/playback", good, "k")
	var started struct{ ID, Track string }
	if err := json.Unmarshal(w.Body.Bytes(), &started); w.Code != http.StatusCreated || err != nil || started.Track != "cour-rec-"+started.ID {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	id := started.ID
	w = do("GET /api/v1/incidents/i1/playback", "", "k")
	var list struct{ Playbacks []Info }
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || len(list.Playbacks) != 1 || list.Playbacks[0].ID != id ||
		list.Playbacks[0].Track != started.Track || list.Playbacks[0].Camera != "cour" || list.Playbacks[0].State != StatePlaying ||
		!list.Playbacks[0].From.Equal(time.Date(2026, 12, 4, 14, 2, 10, 0, time.UTC)) || list.Playbacks[0].RecordedAt.IsZero() {
		t.Fatalf("list: %d %s", w.Code, w.Body)
	}
	for _, step := range []struct {
		path string
		want int
	}{
		{"/api/v1/incidents/i2/playback/" + id + "/pause", http.StatusNotFound}, // another incident's
		{"/api/v1/incidents/i1/playback/" + id + "/pause", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/resume", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/rewind", http.StatusNotFound},
		{"/api/v1/incidents/i1/playback/" + id + "/clip", http.StatusInternalServerError}, // no room files here
		{"/api/v1/incidents/i1/playback/" + id + "/stop", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/stop", http.StatusNoContent},           // ended: nothing to do
		{"/api/v1/incidents/i1/playback/" + id + "/pause", http.StatusConflict},           // ended
		{"/api/v1/incidents/i1/playback/" + id + "/clip", http.StatusInternalServerError}, // still found: no room files here
		{"/api/v1/incidents/i2/playback/" + id + "/dismiss", http.StatusNotFound},         // another incident's
		{"/api/v1/incidents/i1/playback/" + id + "/dismiss", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/clip", http.StatusNotFound},
		{"/api/v1/incidents/i1/playback/" + id + "/stop", http.StatusNotFound},
	} {
		if step.path == "/api/v1/incidents/i1/playback/"+id+"/pause" && step.want == http.StatusConflict {
			w := do("GET /api/v1/incidents/i1/playback", "", "k")
			if !strings.Contains(w.Body.String(), `"state":"ended"`) || !strings.Contains(w.Body.String(), `"until":"`) {
				t.Fatalf("list after stop: %s", w.Body)
			}
		}
		if w := do(step.path, "", "k"); w.Code != step.want {
			t.Fatalf("%s: %d, want %d: %s", step.path, w.Code, step.want, w.Body)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.entries) != 2 || fake.entries[0].Actor != "admin" || fake.entries[0].Incident != "i1" {
		t.Fatalf("timeline %+v", fake.entries)
	}
}
