// Package web serves vigie's browser client: the landing page, the room page and the static files
// (plain ES modules, CSS, images) embedded in the binary, so a deployment is one file with nothing
// to install next to it.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

//go:embed static
var staticFiles embed.FS

// contentSecurityPolicy allows only vigie's own scripts, styles and connections: no inline script,
// no inline style, no third party, and the page cannot be framed.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self' wss: ws:; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// SecurityHeaders wraps next so that every response, pages and API alike, carries vigie's
// security headers. The Referrer-Policy matters most: join links carry a token in their query
// string and must never leak to another site through the Referer header.
func SecurityHeaders(next http.Handler) http.Handler {
	headers := [...][2]string{
		{"Content-Security-Policy", contentSecurityPolicy},
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "no-referrer"},
		{"X-Frame-Options", "DENY"},
		{"Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)"},
		{"Strict-Transport-Security", "max-age=31536000"},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, kv := range headers {
			h.Set(kv[0], kv[1])
		}
		next.ServeHTTP(w, r)
	})
}

// Handler serves the embedded client:
//
//	GET /            the landing page (static/index.html)
//	GET /room/{id}   the room page (static/room.html); the page reads the id and token itself
//	GET /console     the operator console (static/console.html); its login and API are package console's
//	GET /static/...  the files under static/
//
// Anything else is 404; directories are never listed.
func Handler() http.Handler {
	files := loadStaticFiles()
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", files.page("index.html"))
	mux.Handle("GET /room/{id}", files.page("room.html"))
	mux.Handle("GET /console", files.page("console.html"))
	mux.Handle("GET /static/{file...}", files)
	return SecurityHeaders(mux)
}

// staticFile is one embedded file, ready to serve.
type staticFile struct {
	name        string
	data        []byte
	contentType string
	etag        string
}

// staticSet holds every embedded file by its path under static/. It is built once by Handler and
// only read afterwards.
type staticSet map[string]*staticFile

func loadStaticFiles() staticSet {
	root, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic("web: embedded static folder missing: " + err.Error())
	}
	set := staticSet{}
	err = fs.WalkDir(root, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(root, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		set[p] = &staticFile{
			name:        path.Base(p),
			data:        data,
			contentType: contentType(p),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("web: reading embedded static files: " + err.Error())
	}
	return set
}

// contentType names the few kinds of file the client is made of explicitly, so that the answer
// does not depend on the host's mime.types (a wrong type for a module script is fatal under
// nosniff).
func contentType(p string) string {
	switch path.Ext(p) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".webmanifest":
		return "application/json"
	case ".png":
		return "image/png"
	}
	if t := mime.TypeByExtension(path.Ext(p)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ServeHTTP serves /static/{file...}. The set holds regular files only, so a directory or an
// unknown name is 404 and nothing is ever listed.
func (s staticSet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f, ok := s[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.serve(w, r)
}

// page serves one fixed file whatever the matched path, for the HTML entry points.
func (s staticSet) page(name string) http.Handler {
	f, ok := s[name]
	if !ok {
		panic("web: embedded page missing: " + name)
	}
	return http.HandlerFunc(f.serve)
}

// serve answers with the file's bytes. Cache-Control no-cache makes browsers revalidate with the
// ETag on every load, so a new vigie release is picked up at once while unchanged files still
// cost only a 304.
func (f *staticFile) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
}
