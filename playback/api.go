package playback

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"vigie/config"
	"vigie/store"
)

// Incidents finds an incident's room (store.Store).
type Incidents interface {
	Incident(ctx context.Context, id string) (store.Incident, error)
}

// API is the playback API over HTTP, for the administrator (Routes) and
// for the operator console, which calls the Serve methods with the
// operator as the actor:
//
//	POST /api/v1/incidents/{id}/playback {camera, from, to} → 201 {id, track}
//	GET  /api/v1/incidents/{id}/playback → {playbacks: [{id, camera, track, from, to, recorded_at, state, until?}]}
//	POST /api/v1/incidents/{id}/playback/{pid}/pause|resume|stop|dismiss → 204
//	POST /api/v1/incidents/{id}/playback/{pid}/clip → 201 {file, name}
//
// A playback that ended (its range played out, or stopped) is listed with
// state "ended" and until (when it is forgotten), and its clip can still be
// saved until then or until dismissed; pause and resume answer 409.
//
// Errors are {"error":{"code","message"}}.
type API struct {
	Service   *Service
	Incidents Incidents
	// Sites, when set, limits an incident's playbacks to its site's cameras.
	Sites []config.Site
}

type startRequest struct {
	Camera string    `json:"camera"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
}

// Routes registers the API on mux behind auth (the admin key check); the
// timeline names the actor "admin".
func (a *API) Routes(mux *http.ServeMux, auth func(http.HandlerFunc) http.HandlerFunc) {
	mux.HandleFunc("POST /api/v1/incidents/{id}/playback", auth(func(w http.ResponseWriter, r *http.Request) {
		a.ServeStart(w, r, r.PathValue("id"), "admin")
	}))
	mux.HandleFunc("GET /api/v1/incidents/{id}/playback", auth(func(w http.ResponseWriter, r *http.Request) {
		a.ServeList(w, r, r.PathValue("id"))
	}))
	mux.HandleFunc("POST /api/v1/incidents/{id}/playback/{pid}/{action}", auth(func(w http.ResponseWriter, r *http.Request) {
		a.ServeAction(w, r, r.PathValue("id"), r.PathValue("pid"), r.PathValue("action"), "admin", "admin")
	}))
}

// ServeStart starts a playback in an open incident's room.
func (a *API) ServeStart(w http.ResponseWriter, r *http.Request, incident, actor string) {
	var req startRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Camera == "" {
		writeError(w, http.StatusBadRequest, "bad_request", `body must be {"camera", "from", "to"} with RFC 3339 times`)
		return
	}
	inc, ok := a.openIncident(w, r, incident)
	if !ok {
		return
	}
	if !a.onSite(inc.Site, req.Camera) {
		writeError(w, http.StatusBadRequest, "bad_request", "camera "+req.Camera+" is not a camera of this incident's site")
		return
	}
	id, err := a.Service.Start(r.Context(), inc.ID, inc.Room, actor, req.Camera, req.From, req.To)
	if err != nil {
		writeServiceError(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id, "track": TrackOf(req.Camera, id)})
}

// ServeList lists the playbacks running in an incident.
func (a *API) ServeList(w http.ResponseWriter, r *http.Request, incident string) {
	if _, err := a.Incidents.Incident(r.Context(), incident); err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no such incident")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"playbacks": a.Service.List(incident)})
}

// ServeAction pauses, resumes, stops or saves as a clip one of an
// incident's playbacks; a clip is shared in the room by uploader.
func (a *API) ServeAction(w http.ResponseWriter, r *http.Request, incident, pid, action, actor, uploader string) {
	if rn := a.Service.find(pid); rn == nil || rn.incident != incident {
		writeError(w, http.StatusNotFound, "not_found", "no such playback")
		return
	}
	var err error
	switch action {
	case "pause":
		err = a.Service.Pause(r.Context(), pid, actor)
	case "resume":
		err = a.Service.Resume(r.Context(), pid, actor)
	case "stop":
		err = a.Service.Stop(r.Context(), pid, actor)
	case "dismiss":
		err = a.Service.Dismiss(r.Context(), pid, actor)
	case "clip":
		var c Clip
		if c, err = a.Service.SaveClip(r.Context(), pid, actor, uploader); err == nil {
			writeJSON(w, http.StatusCreated, map[string]string{"file": c.File, "name": c.Name})
			return
		}
	default:
		writeError(w, http.StatusNotFound, "not_found", "unknown action: pause, resume, stop, dismiss or clip")
		return
	}
	if err != nil {
		writeServiceError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// openIncident finds the incident and answers 404 or 409 when it is
// missing or closed.
func (a *API) openIncident(w http.ResponseWriter, r *http.Request, id string) (store.Incident, bool) {
	inc, err := a.Incidents.Incident(r.Context(), id)
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no such incident")
		return inc, false
	}
	if inc.ClosedAt != nil {
		writeError(w, http.StatusConflict, "conflict", "the incident is closed")
		return inc, false
	}
	return inc, true
}

func (a *API) onSite(site, camera string) bool {
	if a.Sites == nil {
		return true
	}
	for _, s := range a.Sites {
		if s.ID == site {
			return slices.Contains(s.Cameras, camera)
		}
	}
	return false
}

// TrackOf is the id of a playback's track in the room.
func TrackOf(camera, id string) string { return camera + "-rec-" + id }

func writeServiceError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such playback")
	case errors.Is(err, ErrEnded):
		writeError(w, http.StatusConflict, "ended", "the playback has ended: its clip can still be saved")
	case errors.Is(err, ErrNoCamera):
		writeError(w, http.StatusBadRequest, "bad_request", "unknown camera, or a camera without recorded footage (playback_url)")
	case errors.Is(err, ErrBadRange):
		writeError(w, http.StatusBadRequest, "bad_request", "from must be in the past and before to, at most 24 h apart")
	case errors.Is(err, ErrRoomClosed):
		writeError(w, http.StatusConflict, "conflict", "the incident is closed")
	case errors.Is(err, ErrTooMany):
		writeError(w, http.StatusTooManyRequests, "too_many_playbacks", "too many recordings are playing: stop one first")
	case errors.Is(err, ErrNoFootage):
		writeError(w, http.StatusConflict, "conflict", "nothing has been shown yet: try again in a few seconds")
	case errors.Is(err, errClip):
		writeError(w, http.StatusInternalServerError, "internal", "the clip could not be saved")
	default:
		writeError(w, http.StatusBadGateway, "recorder_unreachable", "the recorder is unreachable or refused: "+err.Error())
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
