package playback

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"vigie/store"
)

// Incidents finds an incident's room (store.Store).
type Incidents interface {
	Incident(ctx context.Context, id string) (store.Incident, error)
}

// API is the operator's playback API:
//
//	POST /api/v1/incidents/{id}/playback {camera, from, to} → {id}
//	POST /api/v1/incidents/{id}/playback/{pid}/pause|resume|stop
type API struct {
	Service   *Service
	Incidents Incidents
}

type startRequest struct {
	Camera string    `json:"camera"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// Routes registers the API on mux behind auth (the admin key check).
func (a *API) Routes(mux *http.ServeMux, auth func(http.HandlerFunc) http.HandlerFunc) {
	mux.HandleFunc("POST /api/v1/incidents/{id}/playback", auth(a.start))
	mux.HandleFunc("POST /api/v1/incidents/{id}/playback/{pid}/{action}", auth(a.action))
}

func (a *API) start(w http.ResponseWriter, r *http.Request) {
	var req startRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, "body must be {camera, from, to} with RFC 3339 times")
		return
	}
	inc, err := a.Incidents.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		writeErr(w, http.StatusNotFound, "no such incident")
		return
	}
	if inc.ClosedAt != nil {
		writeErr(w, http.StatusConflict, "incident is closed")
		return
	}
	id, err := a.Service.Start(r.Context(), inc.ID, inc.Room, "admin", req.Camera, req.From, req.To)
	if err != nil {
		writeServiceErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"id": id})
}

func (a *API) action(w http.ResponseWriter, r *http.Request) {
	pid := r.PathValue("pid")
	if rn, err := a.Service.get(pid); err != nil || rn.incident != r.PathValue("id") {
		writeErr(w, http.StatusNotFound, "no such playback")
		return
	}
	var err error
	switch r.PathValue("action") {
	case "pause":
		err = a.Service.Pause(r.Context(), pid, "admin")
	case "resume":
		err = a.Service.Resume(r.Context(), pid, "admin")
	case "stop":
		err = a.Service.Stop(r.Context(), pid, "admin")
	default:
		writeErr(w, http.StatusNotFound, "unknown action")
		return
	}
	if err != nil {
		writeServiceErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func writeServiceErr(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeErr(w, http.StatusNotFound, "no such playback")
	case errors.Is(err, ErrNoCamera):
		writeErr(w, http.StatusBadRequest, "camera unknown or without playback_url")
	case errors.Is(err, ErrBadRange):
		writeErr(w, http.StatusBadRequest, "from must be before to, at most 24 h apart")
	case errors.Is(err, ErrTooMany):
		writeErr(w, http.StatusTooManyRequests, "too many playbacks")
	default:
		writeErr(w, http.StatusBadGateway, "recorder: "+err.Error())
	}
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
