// Package console serves the operator console's server side: operators log
// in with a user name and password from the configuration, get a session
// cookie, and act on incidents through the incident API under their own
// name.
//
//	POST /console/login                         {username, password} (JSON or form) → session cookie
//	POST /console/logout
//	GET  /console/api/session                   who is logged in
//	GET  /console/api/sites                     the sites: id, name, address, cameras
//	GET  /console/api/incidents                 open incidents and their invitations
//	POST /console/api/incidents                 {"site","kind"} raise an alarm
//	POST /console/api/incidents/{id}/close      close an incident
//	POST /console/api/incidents/{id}/invitations {"email","name","role","language"} invite one more address
//	POST /console/api/invitations/{id}/revoke   withdraw one invitation
//	GET  /console/api/incidents/{id}/evidence   the signed evidence bundle (zip)
//	GET  /console/api/evidence-key              the key that signs bundles
//	POST /console/api/incidents/{id}/playback   {"camera","from","to"} play recorded footage in the room
//	GET  /console/api/incidents/{id}/playback   the playbacks running, and those ended kept for their clip
//	POST /console/api/incidents/{id}/playback/{pid}/pause|resume|stop|dismiss|clip
//
// The page itself (/console) is one of web's static files.
//
// Every POST must carry the header "X-Vigie-Console: 1": a page of another
// site can send a form but not a custom header without a CORS preflight,
// which vigie never grants. With the SameSite=Strict cookie this stops
// cross-site request forgery.
//
// A session ends 12 hours after login, or after an hour without activity:
// the page's automatic refreshes say so with "X-Vigie-Background: 1" and do
// not count.
//
// Errors are {"error":{"code","message"}}: unauthorized (no live session),
// login_failed, too_many_attempts, forbidden (the header is missing),
// bad_request, and the incident API's.
package console

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigie/config"
	"vigie/incident"
	"vigie/store"
)

// CookieName is the session cookie: the __Host- prefix makes browsers
// refuse it unless it is Secure, for Path=/ and without a Domain.
const CookieName = "__Host-vigie_session"

// CSRFHeader must be "1" on every POST.
const CSRFHeader = "X-Vigie-Console"

// BackgroundHeader is "1" on the page's automatic refreshes, which do not
// count as activity: a dashboard left open with nobody at it still idles
// out after IdleTimeout.
const BackgroundHeader = "X-Vigie-Background"

// Defaults of Config's limits.
const (
	DefaultSessionTTL  = 12 * time.Hour
	DefaultIdleTimeout = time.Hour
	DefaultMaxSessions = 1000
	// Failed logins: per user name and per client address, in windows of
	// failWindow; past the limit, logins are refused until it ends.
	failWindow    = 15 * time.Minute
	failsPerUser  = 10
	failsPerIP    = 30
	maxFailedKeys = 10000
)

// kinds are the alarms an operator may raise, the default first.
func kinds() []string { return []string{"holdup", "panic", "duress", "emergency"} }

// Mail tells what became of an incident's e-mails (the outbox).
type Mail interface {
	IncidentMessages(ctx context.Context, incident string) ([]store.OutboxMessage, error)
}

// Config wires a Console.
type Config struct {
	Operators []config.Operator
	Sites     []config.Site
	Cameras   []config.Camera // for the names of the sites' cameras
	// Incidents is the incident API's handler (incident.API.Handler): the
	// console forwards its own API to it, rewriting /console/api/ to
	// /api/v1/ and naming the operator with incident.WithActor.
	Incidents http.Handler
	// Mail, when set, adds to each invitation where its e-mail stands and
	// why it failed.
	Mail        Mail
	SessionTTL  time.Duration // default 12 h
	IdleTimeout time.Duration // default 1 h
	MaxSessions int           // default 1000
	Now         func() time.Time
	Log         *slog.Logger
}

// operator is a configured user, hash parsed.
type operator struct {
	username, name string
	hash           passwordHash
}

// Console serves /console/login, /console/logout and /console/api/.
type Console struct {
	cfg       Config
	operators map[string]*operator
	decoy     passwordHash // checked for unknown users
	sessions  *sessions
	failures  *limiter
	hashing   chan struct{} // bounds password checks running at once
	sites     []siteView
	mux       *http.ServeMux

	evidence    EvidenceExporter  // nil: no export (evidence.go)
	evidenceKey map[string]string // public key and fingerprint
	playback    Playback          // nil: no recorded footage (playback.go)
}

// New parses the operators' hashes and builds the console.
func New(cfg Config) (*Console, error) {
	if len(cfg.Operators) == 0 || cfg.Incidents == nil {
		return nil, errors.New("console: operators and the incident API are required")
	}
	cfg.SessionTTL = cmp.Or(cfg.SessionTTL, DefaultSessionTTL)
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, DefaultIdleTimeout)
	cfg.MaxSessions = cmp.Or(cfg.MaxSessions, DefaultMaxSessions)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	c := &Console{
		cfg:       cfg,
		operators: map[string]*operator{},
		sessions:  newSessions(cfg.SessionTTL, cfg.IdleTimeout, cfg.MaxSessions),
		failures:  newLimiter(failWindow, maxFailedKeys),
		hashing:   make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2)),
		sites:     siteViews(cfg.Sites, cfg.Cameras, nil),
	}
	for i, op := range cfg.Operators {
		h, err := parseHash(op.PasswordHash)
		if err != nil {
			return nil, fmt.Errorf("console: operators[%d] (%s): %w", i, op.Username, err)
		}
		c.operators[op.Username] = &operator{username: op.Username, name: cmp.Or(op.Name, op.Username), hash: h}
		if c.decoy == nil {
			if c.decoy, err = h.decoy(); err != nil {
				return nil, fmt.Errorf("console: %w", err)
			}
		}
	}
	c.mux = http.NewServeMux()
	c.mux.HandleFunc("POST /console/login", c.csrf(c.login))
	c.mux.HandleFunc("POST /console/logout", c.csrf(c.logout))
	c.mux.HandleFunc("GET /console/api/session", c.authed(c.session))
	c.mux.HandleFunc("GET /console/api/sites", c.authed(c.listSites))
	c.mux.HandleFunc("GET /console/api/incidents", c.authed(c.forward("list incidents")))
	c.mux.HandleFunc("POST /console/api/incidents", c.csrf(c.authed(c.raise)))
	c.mux.HandleFunc("POST /console/api/incidents/{id}/close", c.csrf(c.authed(c.forward("close incident"))))
	c.mux.HandleFunc("POST /console/api/incidents/{id}/invitations", c.csrf(c.authed(c.forward("invite one more"))))
	c.mux.HandleFunc("POST /console/api/invitations/{id}/revoke", c.csrf(c.authed(c.forward("revoke invitation"))))
	c.mux.HandleFunc("GET /console/api/incidents/{id}/evidence", c.authed(c.exportEvidence))
	c.mux.HandleFunc("GET /console/api/evidence-key", c.authed(c.evidenceKeyInfo))
	c.mux.HandleFunc("POST /console/api/incidents/{id}/playback", c.csrf(c.authed(c.startPlayback)))
	c.mux.HandleFunc("GET /console/api/incidents/{id}/playback", c.authed(c.listPlayback))
	c.mux.HandleFunc("POST /console/api/incidents/{id}/playback/{pid}/{action}", c.csrf(c.authed(c.playbackAction)))
	c.mux.HandleFunc("/console/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such console endpoint")
	})
	return c, nil
}

// ServeHTTP routes the console's endpoints.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// csrf refuses a request without the console's header.
func (c *Console) csrf(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(CSRFHeader) != "1" {
			writeError(w, http.StatusForbidden, "forbidden", "missing "+CSRFHeader+" header")
			return
		}
		next(w, r)
	}
}

// operatorKey is the context key of the request's operator.
type operatorKey struct{}

// authed lets through requests of a live session, its operator in the
// context.
func (c *Console) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(CookieName)
		var sess *session
		if err == nil {
			sess = c.sessions.lookup(ck.Value, c.cfg.Now(), r.Header.Get(BackgroundHeader) != "1")
		}
		if sess == nil {
			writeError(w, http.StatusUnauthorized, "unauthorized", "not logged in, or the session has expired")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), operatorKey{}, sess.operator)))
	}
}

func operatorOf(r *http.Request) *operator {
	op, _ := r.Context().Value(operatorKey{}).(*operator)
	return op
}

func (c *Console) session(w http.ResponseWriter, r *http.Request) {
	op := operatorOf(r)
	writeJSON(w, http.StatusOK, map[string]any{"username": op.username, "name": op.name, "kinds": kinds()})
}

type siteView struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Address string       `json:"address"`
	Cameras []cameraView `json:"cameras"`
}

type cameraView struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Playback bool   `json:"playback,omitempty"` // recorded footage can be played
}

// siteViews lists the sites by name, with their cameras' names, whether
// they have recorded footage (hasPlayback, nil: none has) and nothing
// else of the cameras (their URLs hold passwords).
func siteViews(sites []config.Site, cameras []config.Camera, hasPlayback func(camera string) bool) []siteView {
	names := map[string]string{}
	for _, cam := range cameras {
		names[cam.ID] = cmp.Or(cam.Name, cam.ID)
	}
	out := make([]siteView, 0, len(sites))
	for _, s := range sites {
		v := siteView{ID: s.ID, Name: s.Name, Address: s.Address, Cameras: []cameraView{}}
		for _, id := range s.Cameras {
			v.Cameras = append(v.Cameras, cameraView{ID: id, Name: cmp.Or(names[id], id), Playback: hasPlayback != nil && hasPlayback(id)})
		}
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b siteView) int { return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID)) })
	return out
}

func (c *Console) listSites(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"sites": c.sites})
}

// raise checks the alarm's kind, then forwards it.
func (c *Console) raise(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Site string `json:"site"`
		Kind string `json:"kind"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Site == "" {
		writeError(w, http.StatusBadRequest, "bad_request", `body must be {"site": ID, "kind": KIND}`)
		return
	}
	req.Kind = cmp.Or(req.Kind, "holdup")
	if !slices.Contains(kinds(), req.Kind) {
		writeError(w, http.StatusBadRequest, "bad_request", "kind must be one of "+strings.Join(kinds(), ", "))
		return
	}
	body, _ := json.Marshal(req)
	r.Body = http.NoBody
	c.forwardBody(w, r, "raise alarm", body, "site", req.Site, "kind", req.Kind)
}

// forward passes a request on to the incident API.
func (c *Console) forward(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c.forwardBody(w, r, action, nil, "id", r.PathValue("id"))
	}
}

// forwardBody calls the incident API with the path under /api/v1/, the
// operator as the actor and, when body is not nil, that body; it logs
// every change with the operator's name.
func (c *Console) forwardBody(w http.ResponseWriter, r *http.Request, action string, body []byte, attrs ...any) {
	op := operatorOf(r)
	in := r.Clone(incident.WithActor(r.Context(), "operator:"+op.username))
	in.URL.Path = "/api/v1/" + strings.TrimPrefix(r.URL.Path, "/console/api/")
	in.URL.RawPath = ""
	in.RequestURI = in.URL.RequestURI()
	if body != nil {
		in.Body = io.NopCloser(bytes.NewReader(body))
		in.ContentLength = int64(len(body))
		in.Header.Set("Content-Type", "application/json")
	}
	rec := &recorder{header: http.Header{}}
	c.cfg.Incidents.ServeHTTP(rec, in)
	out := rec.body
	if r.Method == http.MethodGet && rec.status() == http.StatusOK && c.cfg.Mail != nil {
		if enriched, err := c.withMail(r.Context(), out); err != nil {
			c.cfg.Log.Warn("console: e-mail states unavailable", "err", err)
		} else {
			out = enriched
		}
	}
	if r.Method != http.MethodGet {
		c.cfg.Log.Info("console: "+action, append([]any{"operator", op.username, "status", rec.status()}, attrs...)...)
	}
	for k, v := range rec.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(rec.status())
	_, _ = w.Write(out)
}

// mailView is where an invitation's e-mail stands.
type mailView struct {
	State       string     `json:"state"` // queued, retrying, sent, failed
	Attempts    int        `json:"attempts"`
	Error       string     `json:"error,omitempty"`
	NextAttempt *time.Time `json:"next_attempt_at,omitempty"`
}

// withMail adds "mail" to each invitation of the incident list, keeping
// every field the incident API gave.
func (c *Console) withMail(ctx context.Context, list []byte) ([]byte, error) {
	var body map[string]json.RawMessage
	if err := json.Unmarshal(list, &body); err != nil {
		return nil, err
	}
	var incidents []map[string]json.RawMessage
	if err := json.Unmarshal(body["incidents"], &incidents); err != nil {
		return nil, err
	}
	for _, inc := range incidents {
		var id string
		var invs []map[string]json.RawMessage
		if err := json.Unmarshal(inc["id"], &id); err != nil {
			return nil, err
		}
		if raw, ok := inc["invitations"]; ok {
			if err := json.Unmarshal(raw, &invs); err != nil {
				return nil, err
			}
		}
		if len(invs) == 0 {
			continue
		}
		msgs, err := c.cfg.Mail.IncidentMessages(ctx, id)
		if err != nil {
			return nil, err
		}
		byID := map[string]store.OutboxMessage{}
		for _, m := range msgs {
			byID[m.ID] = m
		}
		for _, inv := range invs {
			var invID string
			_ = json.Unmarshal(inv["id"], &invID)
			if m, ok := byID[invID]; ok {
				inv["mail"], _ = json.Marshal(mailView{State: m.State, Attempts: m.Attempts, Error: m.LastError, NextAttempt: m.NextAttemptAt})
			}
		}
		inc["invitations"], _ = json.Marshal(invs)
	}
	body["incidents"], _ = json.Marshal(incidents)
	return json.Marshal(body)
}

// recorder keeps the incident API's answer so that the console can log
// its status and add to it.
type recorder struct {
	header http.Header
	code   int
	body   []byte
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	r.body = append(r.body, p...)
	return len(p), nil
}
func (r *recorder) status() int { return cmp.Or(r.code, http.StatusOK) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}
