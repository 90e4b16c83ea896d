package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAPI(t *testing.T) {
	f := newFixture(t)
	closed := t0.Add(time.Hour)
	inc := f.incident(t, "i_api", t0, &closed)
	api := &API{
		Exporter: &Exporter{Records: f.st, RecordingsDir: filepath.Join(f.dataDir, "recordings"), Key: f.key, Version: "t", Now: func() time.Time { return t0 }},
		Holds:    f.st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	mux := http.NewServeMux()
	api.Routes(mux, func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer k" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			next(w, r)
		}
	})
	do := func(method, path, body string, auth bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if auth {
			req.Header.Set("Authorization", "Bearer k")
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	tests := []struct {
		name, method, path, body string
		auth                     bool
		status                   int
		contains                 string
	}{
		{"no key", "GET", "/api/v1/incidents/i_api/evidence", "", false, 401, ""},
		{"unknown incident", "GET", "/api/v1/incidents/i_none/evidence", "", true, 404, "no such incident"},
		{"hold without reason", "POST", "/api/v1/incidents/i_api/hold", `{}`, true, 400, "reason"},
		{"hold unknown field", "POST", "/api/v1/incidents/i_api/hold", `{"reason":"x","until":"never"}`, true, 400, "reason"},
		{"hold", "POST", "/api/v1/incidents/i_api/hold", `{"reason":"réquisition 42"}`, true, 200, `"reason":"réquisition 42"`},
		{"hold unknown incident", "POST", "/api/v1/incidents/i_none/hold", `{"reason":"x"}`, true, 404, ""},
		{"release", "POST", "/api/v1/incidents/i_api/release", `{"reason":"classement"}`, true, 200, `"legal_hold":null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(tt.method, tt.path, tt.body, tt.auth)
			if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Fatalf("%s %s = %d %s", tt.method, tt.path, rec.Code, rec.Body)
			}
		})
	}

	rec := do("GET", "/api/v1/incidents/"+inc.ID+"/evidence", "", true)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/zip" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "evidence-i_api.zip") {
		t.Fatalf("export = %d %v", rec.Code, rec.Header())
	}
	zr, err := zip.NewReader(bytes.NewReader(rec.Body.Bytes()), int64(rec.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	rep := Verify(zr, f.key.Public().(ed25519.PublicKey))
	if !rep.OK() || rep.Manifest.Exporter != "admin" {
		t.Fatalf("downloaded bundle: %q", rep.Problems)
	}
	var tl []TimelineEntry
	json.Unmarshal(entryJSON(t, rec.Body.Bytes(), "timeline.json"), &tl)
	var kinds []string
	for _, e := range tl {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); !strings.HasSuffix(got, "legal_hold,legal_hold_released,evidence_exported") {
		t.Fatalf("timeline kinds %s", got)
	}
}
