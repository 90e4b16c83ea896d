package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"vigie/store"
)

// HoldStore puts incidents on legal hold and releases them; *store.Store
// has it.
type HoldStore interface {
	Hold(ctx context.Context, h store.LegalHold) error
	Release(ctx context.Context, incident, reason, by string, at time.Time) error
	HoldOf(ctx context.Context, incident string) (*store.LegalHold, error)
}

// API serves the evidence endpoints of the admin API:
//
//	GET  /api/v1/incidents/{id}/evidence  the bundle, as a zip download
//	POST /api/v1/incidents/{id}/hold      {"reason"} put on legal hold
//	POST /api/v1/incidents/{id}/release   {"reason"} take off legal hold
//
// The caller wraps them with the admin key check.
type API struct {
	Exporter *Exporter
	Holds    HoldStore
	Log      *slog.Logger
}

// Routes adds the endpoints to mux, each wrapped by auth.
func (a *API) Routes(mux *http.ServeMux, auth func(http.HandlerFunc) http.HandlerFunc) {
	mux.HandleFunc("GET /api/v1/incidents/{id}/evidence", auth(func(w http.ResponseWriter, r *http.Request) {
		a.ServeExport(w, r, r.PathValue("id"), "admin")
	}))
	mux.HandleFunc("POST /api/v1/incidents/{id}/hold", auth(a.hold))
	mux.HandleFunc("POST /api/v1/incidents/{id}/release", auth(a.release))
}

// ServeExport answers with incident's bundle, streamed, and logs who took
// it; the export is on the incident's timeline too.
func (a *API) ServeExport(w http.ResponseWriter, r *http.Request, incident, exporter string) {
	if !validID(incident) {
		writeError(w, http.StatusNotFound, "not_found", "no such incident")
		return
	}
	if _, err := a.Exporter.Records.Incident(r.Context(), incident); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "not_found", "no such incident")
			return
		}
		a.Log.Error("evidence export", "incident", incident, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the export failed")
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", `attachment; filename="evidence-`+incident+`.zip"`)
	w.Header().Set("Cache-Control", "no-store")
	m, err := a.Exporter.Export(r.Context(), w, incident, exporter)
	if err != nil {
		// The zip is cut short: its missing central directory makes
		// every reader refuse it.
		a.Log.Error("evidence export", "incident", incident, "exporter", exporter, "err", err)
		return
	}
	a.Log.Info("evidence exported", "incident", incident, "exporter", exporter, "files", len(m.Files))
}

type holdRequest struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
}

func (a *API) readHold(w http.ResponseWriter, r *http.Request) (holdRequest, bool) {
	var req holdRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Reason == "" {
		writeError(w, http.StatusBadRequest, "bad_request", `send {"reason": "..."}: a reason is required`)
		return req, false
	}
	if req.By == "" {
		req.By = "admin"
	}
	return req, true
}

func (a *API) hold(w http.ResponseWriter, r *http.Request) {
	req, ok := a.readHold(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := a.Holds.Hold(r.Context(), store.LegalHold{Incident: id, Reason: req.Reason, By: req.By, At: a.Exporter.Now().UTC()})
	a.answerHold(w, r, id, "legal hold", err)
}

func (a *API) release(w http.ResponseWriter, r *http.Request) {
	req, ok := a.readHold(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	err := a.Holds.Release(r.Context(), id, req.Reason, req.By, a.Exporter.Now().UTC())
	a.answerHold(w, r, id, "legal hold released", err)
}

func (a *API) answerHold(w http.ResponseWriter, r *http.Request, id, what string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such incident")
		return
	case err != nil:
		a.Log.Error(what, "incident", id, "err", err)
		writeError(w, http.StatusConflict, "conflict", "the legal hold could not be changed: "+err.Error())
		return
	}
	h, err := a.Holds.HoldOf(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "the legal hold could not be read")
		return
	}
	a.Log.Info(what, "incident", id)
	writeJSON(w, http.StatusOK, map[string]any{"incident": id, "legal_hold": h})
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
