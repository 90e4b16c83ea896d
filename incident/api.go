package incident

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"vigie/config"
	"vigie/store"
)

// API serves the operator's incident endpoints; the caller puts it behind
// the admin key check.
//
//	POST /api/v1/incidents                    {"site":"poste-joliette","kind":"holdup"} raise an alarm
//	GET  /api/v1/incidents                    open incidents and their invitations
//	POST /api/v1/incidents/{id}/close         close an incident
//	POST /api/v1/invitations/{id}/revoke      withdraw one invitation
type API struct {
	Service *Service
	Store   interface {
		OpenIncidents(ctx context.Context) ([]store.Incident, error)
		Invitations(ctx context.Context, incident string) ([]store.Invitation, error)
	}
}

// Handler routes the endpoints.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/incidents", a.raise)
	mux.HandleFunc("GET /api/v1/incidents", a.list)
	mux.HandleFunc("POST /api/v1/incidents/{id}/close", a.close)
	mux.HandleFunc("POST /api/v1/incidents/{id}/invitations", a.invite)
	mux.HandleFunc("POST /api/v1/invitations/{id}/revoke", a.revoke)
	return mux
}

// actorKey is the context key of WithActor.
type actorKey struct{}

// WithActor returns a context in which the API's actions are recorded, on
// the timeline and in the log, as done by actor (such as "operator:alice")
// instead of the admin key's plain "admin".
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// actorOf is who acts in a request: WithActor's, or "admin" (the admin
// key, which `vigie alarm` uses too): one name wherever the key acts.
func actorOf(ctx context.Context) string {
	if a, _ := ctx.Value(actorKey{}).(string); a != "" {
		return a
	}
	return "admin"
}

type incidentView struct {
	ID          string           `json:"id"`
	Site        string           `json:"site"`
	Kind        string           `json:"kind"`
	OpenedAt    time.Time        `json:"opened_at"`
	Opened      bool             `json:"opened,omitempty"`
	OperatorURL string           `json:"operator_url,omitempty"`
	Invitations []invitationView `json:"invitations,omitempty"`
}

type invitationView struct {
	ID       string     `json:"id"`
	Contact  string     `json:"contact"`
	Name     string     `json:"name"`
	Email    string     `json:"email"`
	Role     string     `json:"role"`
	List     string     `json:"list"`
	State    string     `json:"state"`
	OpenedAt *time.Time `json:"opened_at,omitempty"`
	JoinedAt *time.Time `json:"joined_at,omitempty"`
}

func (a *API) raise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Site string `json:"site"`
		Kind string `json:"kind"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Site == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "body must be {\"site\": ID, \"kind\": KIND}")
		return
	}
	if req.Kind == "" {
		req.Kind = "holdup"
	}
	out, err := a.Service.Raise(r.Context(), req.Site, req.Kind, actorOf(r.Context()), "")
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	link, err := a.Service.OperatorLink(out.Incident)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "server error")
		return
	}
	status := http.StatusOK
	if out.Opened {
		status = http.StatusCreated
	}
	writeJSON(w, status, incidentView{ID: out.Incident.ID, Site: out.Incident.Site, Kind: out.Incident.Kind,
		OpenedAt: out.Incident.OpenedAt, Opened: out.Opened, OperatorURL: link})
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	open, err := a.Store.OpenIncidents(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", "server error")
		return
	}
	views := make([]incidentView, 0, len(open))
	for _, inc := range open {
		invs, err := a.Store.Invitations(r.Context(), inc.ID)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "internal", "server error")
			return
		}
		v := incidentView{ID: inc.ID, Site: inc.Site, Kind: inc.Kind, OpenedAt: inc.OpenedAt}
		v.OperatorURL, _ = a.Service.OperatorLink(inc)
		for _, inv := range invs {
			v.Invitations = append(v.Invitations, invitationView{ID: inv.ID, Contact: inv.Contact, Name: inv.Name,
				Email: inv.Email, Role: inv.Role, List: inv.List, State: inv.State, OpenedAt: inv.OpenedAt, JoinedAt: inv.JoinedAt})
		}
		views = append(views, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": views})
}

func (a *API) close(w http.ResponseWriter, r *http.Request) {
	a.act(w, a.Service.Close(r.Context(), r.PathValue("id"), actorOf(r.Context())))
}

func (a *API) revoke(w http.ResponseWriter, r *http.Request) {
	a.act(w, a.Service.Revoke(r.Context(), r.PathValue("id"), actorOf(r.Context())))
}

func (a *API) act(w http.ResponseWriter, err error) {
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such incident or invitation")
	default:
		a.Service.cfg.Log.Error("incident action", "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "server error")
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

// invite invites one more address: {"email", "name", "role", "language"}.
func (a *API) invite(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Language string `json:"language"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "body must be {\"email\", \"name\", \"role\", \"language\"}")
		return
	}
	err := a.Service.Invite(r.Context(), r.PathValue("id"), config.Contact{Email: req.Email, Name: req.Name, Role: req.Role, Language: req.Language})
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such incident")
	case errors.Is(err, ErrClosed):
		writeError(w, http.StatusConflict, "incident_closed", err.Error())
	default:
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
	}
}
