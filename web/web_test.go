package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	tests := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		bodyHas     string
	}{
		{"landing page", "GET", "/", 200, "text/html; charset=utf-8", "landing.js"},
		{"room page", "GET", "/room/r_8f3k2?t=abc.def", 200, "text/html; charset=utf-8", `id="prejoin"`},
		{"room page without token", "GET", "/room/r_8f3k2", 200, "text/html; charset=utf-8", `id="join-button"`},
		{"entry module", "GET", "/static/js/room.js", 200, "text/javascript; charset=utf-8", "import"},
		{"stylesheet", "GET", "/static/css/vigie.css", 200, "text/css; charset=utf-8", ".tile"},
		{"icon", "GET", "/static/img/favicon.svg", 200, "image/svg+xml", "<svg"},
		{"html file under static", "GET", "/static/room.html", 200, "text/html; charset=utf-8", "tpl-tile"},
		{"head request", "HEAD", "/static/js/i18n.js", 200, "text/javascript; charset=utf-8", ""},
		{"unknown file", "GET", "/static/js/nope.js", 404, "", ""},
		{"static directory is not listed", "GET", "/static/js/", 404, "", ""},
		{"static root is not listed", "GET", "/static/", 404, "", ""},
		{"room without id", "GET", "/room/", 404, "", ""},
		{"room with extra segment", "GET", "/room/a/b", 404, "", ""},
		{"unknown page", "GET", "/admin", 404, "", ""},
		{"dot segments do not escape static", "GET", "/static/../web.go", 404, "", ""},
		{"post is refused", "POST", "/", 405, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			res := rec.Result()
			// The mux answers dot segments with a redirect to the cleaned path; follow it once.
			if res.StatusCode >= 300 && res.StatusCode < 400 {
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(tc.method, res.Header.Get("Location"), nil))
				res = rec.Result()
			}
			if res.StatusCode != tc.status {
				t.Fatalf("%s %s: status %d, want %d", tc.method, tc.path, res.StatusCode, tc.status)
			}
			assertSecurityHeaders(t, res.Header)
			if tc.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if got := res.Header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("Cache-Control %q, want no-cache", got)
			}
			if res.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if body := rec.Body.String(); !strings.Contains(body, tc.bodyHas) {
				t.Errorf("body does not contain %q", tc.bodyHas)
			}
		})
	}
}

func TestHandlerRevalidatesWithETag(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/static/js/room.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on first answer")
	}
	req := httptest.NewRequest("GET", "/static/js/room.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("status %d with matching If-None-Match, want 304", rec.Code)
	}
	assertSecurityHeaders(t, rec.Header())
}

func TestSecurityHeadersWrapsAnyHandler(t *testing.T) {
	api := SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
	}))
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/join-info", nil))
	if rec.Code != http.StatusTeapot {
		t.Fatalf("status %d, want the wrapped handler's 418", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("wrapped handler's Content-Type replaced: %q", got)
	}
	assertSecurityHeaders(t, rec.Header())
}

// The pages must work under the CSP: no inline script, no inline style, nothing from elsewhere.
func TestPagesHaveNothingInline(t *testing.T) {
	files := loadStaticFiles()
	for name, f := range files {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		body := string(f.data)
		for _, bad := range []string{"<script>", "style=", "<style", "onclick=", "onload=", "javascript:", "http://", "https://"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q, which the CSP forbids or which loads from elsewhere", name, bad)
			}
		}
	}
}

func assertSecurityHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy":   contentSecurityPolicy,
		"X-Content-Type-Options":    "nosniff",
		"Referrer-Policy":           "no-referrer",
		"X-Frame-Options":           "DENY",
		"Permissions-Policy":        "camera=(self), microphone=(self), display-capture=(self)",
		"Strict-Transport-Security": "max-age=31536000",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self';") {
		t.Error("CSP does not restrict scripts to the origin")
	}
}
