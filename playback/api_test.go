package playback

import (
	"context"
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
	api := &API{Service: svc, Incidents: fakeIncidents{"i1": {ID: "i1", Room: "r1"}, "i2": {ID: "i2", Room: "r2", ClosedAt: &closed}}}
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
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
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
	}{
		{"no key", "/api/v1/incidents/i1/playback", good, "", http.StatusUnauthorized},
		{"bad body", "/api/v1/incidents/i1/playback", `{`, "k", http.StatusBadRequest},
		{"no incident", "/api/v1/incidents/nope/playback", good, "k", http.StatusNotFound},
		{"closed incident", "/api/v1/incidents/i2/playback", good, "k", http.StatusConflict},
		{"unknown camera", "/api/v1/incidents/i1/playback", strings.Replace(good, "cour", "x", 1), "k", http.StatusBadRequest},
		{"reversed", "/api/v1/incidents/i1/playback", `{"camera":"cour","from":"2026-12-04T14:05:10Z","to":"2026-12-04T14:02:10Z"}`, "k", http.StatusBadRequest},
		{"unknown playback", "/api/v1/incidents/i1/playback/zz/stop", "", "k", http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if w := do(tt.path, tt.body, tt.key); w.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
	w := do("/api/v1/incidents/i1/playback", good, "k")
	if w.Code != http.StatusCreated || !strings.Contains(w.Body.String(), `"id"`) {
		t.Fatalf("start: %d %s", w.Code, w.Body)
	}
	id := strings.Split(w.Body.String(), `"`)[3]
	for _, step := range []struct {
		path string
		want int
	}{
		{"/api/v1/incidents/i2/playback/" + id + "/pause", http.StatusNotFound}, // another incident's
		{"/api/v1/incidents/i1/playback/" + id + "/pause", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/resume", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/rewind", http.StatusNotFound},
		{"/api/v1/incidents/i1/playback/" + id + "/stop", http.StatusNoContent},
		{"/api/v1/incidents/i1/playback/" + id + "/stop", http.StatusNotFound},
	} {
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
