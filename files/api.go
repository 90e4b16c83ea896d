package files

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vigie/store"
	"vigie/token"
)

// Member is a session of a room, as its join token says.
type Member struct {
	ID, Name, Role string
}

// Denied is a refused token: the HTTP status and a code and message for
// the client.
type Denied struct {
	Status        int
	Code, Message string
}

// Auth checks a join token for a room: valid, of that room, room open,
// invitation not revoked.
type Auth interface {
	Member(ctx context.Context, room, tok string) (Member, *Denied)
}

// Notifier tells the browsers of a room at once.
type Notifier interface {
	Broadcast(room string, msg any)
}

// API serves the files of rooms over HTTP:
//
//	POST   /api/v1/rooms/{room}/files       upload (raw body with ?name=, or multipart "file")
//	GET    /api/v1/rooms/{room}/files       list
//	GET    /api/v1/rooms/{room}/files/{id}  content (?download=1: as an attachment)
//	DELETE /api/v1/rooms/{room}/files/{id}  withdraw (operators)
//
// Every request carries the room's join token, as "Authorization: Bearer"
// or as ?t= (for <img> and <video>, which cannot send headers).
type API struct {
	Files  *Store
	Auth   Auth
	Notify Notifier // nil: nobody is told
	Log    *slog.Logger
}

// multipartSlack is what multipart framing may add to a file's size.
const multipartSlack = 64 << 10

// Handler routes the API.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/rooms/{room}/files", a.upload)
	mux.HandleFunc("GET /api/v1/rooms/{room}/files", a.list)
	mux.HandleFunc("GET /api/v1/rooms/{room}/files/{id}", a.content)
	mux.HandleFunc("DELETE /api/v1/rooms/{room}/files/{id}", a.withdraw)
	return mux
}

// FileInfo is a file as the browser sees it.
type FileInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	Uploader   string    `json:"uploader"`
	UploaderID string    `json:"uploader_id"`
	UploadedAt time.Time `json:"uploaded_at"`
	Inline     bool      `json:"inline"`
	URL        string    `json:"url"` // add ?t=<token>
}

// Info describes f for browsers.
func Info(f store.File) FileInfo {
	return FileInfo{
		ID: f.ID, Name: f.Name, Type: f.ContentType, Size: f.Size, SHA256: f.SHA256,
		Uploader: f.UploaderName, UploaderID: f.UploaderID, UploadedAt: f.UploadedAt, Inline: Inline(f.ContentType),
		URL: "/api/v1/rooms/" + url.PathEscape(f.Room) + "/files/" + url.PathEscape(f.ID),
	}
}

// SharedMessage is the file_shared message that tells a room about f.
func SharedMessage(f store.File) any { return sharedMsg{Type: "file_shared", File: Info(f)} }

// The signaling messages of docs/protocol.md.
type sharedMsg struct {
	Type string   `json:"type"` // "file_shared"
	File FileInfo `json:"file"`
}

type withdrawnMsg struct {
	Type string `json:"type"` // "file_withdrawn"
	ID   string `json:"id"`
	By   string `json:"by"`
}

func (a *API) member(w http.ResponseWriter, r *http.Request) (string, Member, bool) {
	room := r.PathValue("room")
	tok := r.URL.Query().Get("t")
	if h := r.Header.Get("Authorization"); h != "" {
		tok, _ = strings.CutPrefix(h, "Bearer ")
	}
	m, d := a.Auth.Member(r.Context(), room, tok)
	if d != nil {
		writeError(w, d.Status, d.Code, d.Message)
		return room, m, false
	}
	return room, m, true
}

func (a *API) upload(w http.ResponseWriter, r *http.Request) {
	room, m, ok := a.member(w, r)
	if !ok {
		return
	}
	if m.Role == token.RoleObserver {
		writeError(w, http.StatusForbidden, "forbidden", "observers cannot share files")
		return
	}
	limit, framing := a.Files.MaxSize, int64(0)
	if isMultipart(r) {
		framing = multipartSlack
	}
	// Refused before a byte is read when the size is announced; otherwise
	// while streaming.
	if r.ContentLength > limit+framing {
		a.tooLarge(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit+framing+1)
	body, name, err := uploadBody(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	f, err := a.Files.Save(r.Context(), body, Upload{Room: room, Name: name, UploaderID: m.ID, Uploader: m.Name})
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, ErrTooLarge) || errors.As(err, &maxErr):
		a.tooLarge(w)
		return
	case err != nil:
		a.Log.Error("upload failed", "room", room, "participant", m.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "the file could not be saved")
		return
	}
	a.Log.Info("file shared", "room", room, "file", f.ID, "participant", m.ID, "size", f.Size, "type", f.ContentType)
	info := Info(f)
	if a.Notify != nil {
		a.Notify.Broadcast(room, sharedMsg{Type: "file_shared", File: info})
	}
	writeJSON(w, http.StatusCreated, info)
}

// uploadBody returns the file's bytes and name: the "file" part of a
// multipart form, or the raw body named by ?name=.
func uploadBody(r *http.Request) (io.Reader, string, error) {
	if !isMultipart(r) {
		return r.Body, r.URL.Query().Get("name"), nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fmt.Errorf("unreadable multipart form: %w", err)
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			return nil, "", errors.New(`the form has no "file" part`)
		}
		if p.FormName() == "file" {
			return p, p.FileName(), nil
		}
	}
}

func isMultipart(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "multipart/form-data"
}

func (a *API) tooLarge(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": map[string]any{
		"code": "file_too_large", "message": fmt.Sprintf("this file is over %s", humanSize(a.Files.MaxSize)),
		"max_size": a.Files.MaxSize,
	}})
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	room, _, ok := a.member(w, r)
	if !ok {
		return
	}
	list, err := a.Files.List(r.Context(), room)
	if err != nil {
		a.Log.Error("list files", "room", room, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "server error")
		return
	}
	infos := make([]FileInfo, 0, len(list))
	for _, f := range list {
		infos = append(infos, Info(f))
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": infos, "max_size": a.Files.MaxSize})
}

func (a *API) content(w http.ResponseWriter, r *http.Request) {
	room, m, ok := a.member(w, r)
	if !ok {
		return
	}
	f, ok := a.file(w, r, room)
	if !ok {
		return
	}
	download := r.URL.Query().Get("download") == "1" || !Inline(f.ContentType)
	kind := "file_viewed"
	if download {
		kind = "file_downloaded"
	}
	// A video plays through many range requests: the first one is the view.
	if rg := r.Header.Get("Range"); rg == "" || strings.HasPrefix(rg, "bytes=0-") {
		err := a.Files.DB.RecordAccess(r.Context(), store.Access{
			Room: room, At: a.Files.Now(), Kind: kind, ActorID: m.ID, ActorName: m.Name, Subject: f.ID,
			Detail: map[string]string{"name": f.Name, "sha256": f.SHA256},
		})
		if err != nil { // no access without its record
			a.Log.Error("record file access", "room", room, "file", f.ID, "err", err)
			writeError(w, http.StatusInternalServerError, "internal", "server error")
			return
		}
	}
	body, err := a.Files.Open(f.SHA256)
	if err != nil {
		a.Log.Error("open shared file", "room", room, "file", f.ID, "err", err)
		writeError(w, http.StatusGone, "file_purged", "this file is no longer kept")
		return
	}
	defer body.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", Disposition(download, f.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+f.SHA256+`"`)
	http.ServeContent(w, r, "", f.UploadedAt, body)
}

// file finds a room's file; a withdrawn one is 410.
func (a *API) file(w http.ResponseWriter, r *http.Request, room string) (store.File, bool) {
	f, err := a.Files.DB.FileByID(r.Context(), room, r.PathValue("id"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "file_not_found", "no such file")
		return f, false
	case err != nil:
		a.Log.Error("look up file", "room", room, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "server error")
		return f, false
	case f.WithdrawnAt != nil:
		writeError(w, http.StatusGone, "file_withdrawn", "this file was withdrawn")
		return f, false
	}
	return f, true
}

func (a *API) withdraw(w http.ResponseWriter, r *http.Request) {
	room, m, ok := a.member(w, r)
	if !ok {
		return
	}
	if m.Role != token.RoleOperator {
		writeError(w, http.StatusForbidden, "forbidden", "only the operator can withdraw a file")
		return
	}
	f, ok := a.file(w, r, room)
	if !ok {
		return
	}
	if _, err := a.Files.DB.WithdrawFile(r.Context(), room, f.ID, a.Files.Now(), m.ID, m.Name); err != nil {
		a.Log.Error("withdraw file", "room", room, "file", f.ID, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "server error")
		return
	}
	a.Log.Info("file withdrawn", "room", room, "file", f.ID, "by", m.ID)
	if a.Notify != nil {
		a.Notify.Broadcast(room, withdrawnMsg{Type: "file_withdrawn", ID: f.ID, By: m.Name})
	}
	w.WriteHeader(http.StatusNoContent)
}

// Disposition is the Content-Disposition of a file (RFC 6266): an ASCII
// fallback name and the exact UTF-8 name in filename*.
func Disposition(attachment bool, name string) string {
	kind := "inline"
	if attachment {
		kind = "attachment"
	}
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, ascii, encodeRFC5987(name))
}

// encodeRFC5987 percent-encodes everything but attr-char.
func encodeRFC5987(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GB", n>>30)
	case n >= 1<<20:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
