// Package rooms creates rooms and their join links, and serves the
// administrator's REST API for it.
package rooms

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"vigie/signaling"
	"vigie/store"
	"vigie/token"
)

// Store is what rooms needs of the database.
type Store interface {
	CreateRoom(ctx context.Context, r store.Room) error
	OpenRooms(ctx context.Context) ([]store.Room, error)
}

// Limits on a creation request.
const (
	maxNameRunes   = 120
	maxLinks       = 50
	maxRequestBody = 64 << 10
)

// LinkRequest asks for one join link.
type LinkRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// Link is a join link handed out.
type Link struct {
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// RoomView is a room as the API shows it.
type RoomView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	Cameras   []string  `json:"cameras,omitempty"`
}

// Created answers a creation.
type Created struct {
	Room  RoomView `json:"room"`
	Links []Link   `json:"links"`
}

// Cameras is what rooms needs of the camera registry.
type Cameras interface {
	Has(id string) bool
	Attach(roomID string, ids []string) error
}

// Service creates rooms and mints their links.
type Service struct {
	Store      Store
	Cameras    Cameras
	Tokens     *token.Signer
	PublicURL  string        // base of the links, such as https://vigie.example:8443
	DefaultTTL time.Duration // link validity when a request names none
	Log        *slog.Logger
}

// DefaultLinks is one operator and one participant link.
func DefaultLinks() []LinkRequest {
	return []LinkRequest{{Name: "Opérateur", Role: token.RoleOperator}, {Name: "Invité", Role: token.RoleParticipant}}
}

// Create stores a new room showing cameras and returns its links.
func (s *Service) Create(ctx context.Context, name string, cameras []string, links []LinkRequest, ttl time.Duration) (Created, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxNameRunes {
		return Created{}, fmt.Errorf("room name must be 1 to %d characters", maxNameRunes)
	}
	if len(links) == 0 {
		links = DefaultLinks()
	}
	if len(links) > maxLinks {
		return Created{}, fmt.Errorf("at most %d links per request", maxLinks)
	}
	if ttl <= 0 {
		ttl = s.DefaultTTL
	}
	if err := s.checkCameras(cameras); err != nil {
		return Created{}, err
	}
	room := store.Room{ID: token.NewID("r_"), Name: name, CreatedAt: time.Now().UTC().Truncate(time.Second), Cameras: cameras}
	out := Created{Room: RoomView{ID: room.ID, Name: room.Name, CreatedAt: room.CreatedAt, Cameras: cameras}}
	expiry := room.CreatedAt.Add(ttl)
	for _, l := range links {
		link, err := s.mint(room.ID, l, expiry)
		if err != nil {
			return Created{}, err
		}
		out.Links = append(out.Links, link)
	}
	if err := s.Store.CreateRoom(ctx, room); err != nil {
		return Created{}, fmt.Errorf("store room: %w", err)
	}
	if len(cameras) > 0 {
		if err := s.Cameras.Attach(room.ID, cameras); err != nil {
			return Created{}, fmt.Errorf("show cameras: %w", err)
		}
	}
	s.Log.Info("room created", "room", room.ID, "links", len(out.Links), "cameras", len(cameras))
	return out, nil
}

// checkCameras refuses unknown or repeated camera ids.
func (s *Service) checkCameras(ids []string) error {
	seen := map[string]bool{}
	for _, id := range ids {
		if s.Cameras == nil || !s.Cameras.Has(id) {
			return fmt.Errorf("unknown camera %q", id)
		}
		if seen[id] {
			return fmt.Errorf("camera %q listed twice", id)
		}
		seen[id] = true
	}
	return nil
}

// Reopen shows again the cameras of the rooms still open, after a restart.
func (s *Service) Reopen(ctx context.Context) error {
	rooms, err := s.Store.OpenRooms(ctx)
	if err != nil {
		return err
	}
	for _, r := range rooms {
		if len(r.Cameras) == 0 {
			continue
		}
		if err := s.Cameras.Attach(r.ID, r.Cameras); err != nil {
			s.Log.Warn("room shows a camera no longer configured", "room", r.ID, "err", err)
		}
	}
	return nil
}

func (s *Service) mint(roomID string, l LinkRequest, expiry time.Time) (Link, error) {
	if l.Role == "" {
		l.Role = token.RoleParticipant
	}
	l.Name = strings.TrimSpace(l.Name)
	if utf8.RuneCountInString(l.Name) > 64 {
		return Link{}, errors.New("link name over 64 characters")
	}
	tok, err := s.Tokens.Sign(token.Claims{
		Room: roomID, Subject: token.NewID("p_"), Name: l.Name, Role: l.Role, Expiry: expiry.Unix(),
	})
	if err != nil {
		return Link{}, err
	}
	u := strings.TrimSuffix(s.PublicURL, "/") + "/room/" + roomID + "?t=" + url.QueryEscape(tok)
	return Link{Name: l.Name, Role: l.Role, URL: u, ExpiresAt: expiry}, nil
}

// API serves POST and GET /api/v1/rooms for holders of an admin key.
type API struct {
	Service   *Service
	AdminKeys []string
}

// Handler routes the API.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/rooms", a.Authorized(a.create))
	mux.HandleFunc("GET /api/v1/rooms", a.Authorized(a.list))
	return mux
}

// Authorized lets through requests that carry an admin key.
func (a *API) Authorized(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || !a.validKey(key) {
			signaling.WriteError(w, &signaling.Error{Status: http.StatusUnauthorized, Code: signaling.CodeUnauthorized, Message: "missing or wrong admin API key"})
			return
		}
		next(w, r)
	}
}

// ValidKey reports whether key is an admin key (WHEP/WHIP use it too).
func (a *API) ValidKey(key string) bool { return a.validKey(key) }

// validKey compares in constant time against every key.
func (a *API) validKey(key string) bool {
	ok := 0
	for _, k := range a.AdminKeys {
		if k != "" {
			ok |= subtle.ConstantTimeCompare([]byte(k), []byte(key))
		}
	}
	return ok == 1
}

type createRequest struct {
	Name    string        `json:"name"`
	Cameras []string      `json:"cameras"`
	Links   []LinkRequest `json:"links"`
	TTL     string        `json:"ttl"`
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		badRequest(w, "body is not a valid room request: "+err.Error())
		return
	}
	var ttl time.Duration
	if req.TTL != "" {
		d, err := time.ParseDuration(req.TTL)
		if err != nil || d <= 0 || d > 31*24*time.Hour {
			badRequest(w, "ttl must be a duration such as 12h, at most 744h")
			return
		}
		ttl = d
	}
	created, err := a.Service.Create(r.Context(), req.Name, req.Cameras, req.Links, ttl)
	if err != nil {
		badRequest(w, err.Error())
		return
	}
	signaling.WriteJSON(w, http.StatusCreated, created)
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	rooms, err := a.Service.Store.OpenRooms(r.Context())
	if err != nil {
		a.Service.Log.Error("list rooms", "err", err)
		signaling.WriteError(w, &signaling.Error{Status: http.StatusInternalServerError, Code: signaling.CodeInternal, Message: "server error"})
		return
	}
	views := make([]RoomView, 0, len(rooms))
	for _, rm := range rooms {
		views = append(views, RoomView{ID: rm.ID, Name: rm.Name, CreatedAt: rm.CreatedAt, Cameras: rm.Cameras})
	}
	signaling.WriteJSON(w, http.StatusOK, map[string]any{"rooms": views})
}

func badRequest(w http.ResponseWriter, msg string) {
	signaling.WriteError(w, &signaling.Error{Status: http.StatusBadRequest, Code: signaling.CodeBadRequest, Message: msg})
}
