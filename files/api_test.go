package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/store"
	"vigie/token"
)

// tokenAuth checks real signed tokens; room and revocation checks are the
// signaling server's, tested with it in cmd/vigie.
type tokenAuth struct{ signer *token.Signer }

func (a tokenAuth) Member(_ context.Context, room, tok string) (Member, *Denied) {
	c, err := a.signer.Verify(tok, room)
	switch {
	case err == token.ErrMissing:
		return Member{}, &Denied{http.StatusUnauthorized, "token_missing", err.Error()}
	case err == token.ErrWrongRoom:
		return Member{}, &Denied{http.StatusForbidden, "token_wrong_room", err.Error()}
	case err != nil:
		return Member{}, &Denied{http.StatusUnauthorized, "token_invalid", err.Error()}
	}
	return Member{ID: c.Subject, Name: c.Name, Role: c.Role}, nil
}

// broadcasts records what the rooms were told.
type broadcasts struct {
	mu   sync.Mutex
	msgs []string
}

func (b *broadcasts) Broadcast(room string, msg any) {
	body, _ := json.Marshal(msg)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.msgs = append(b.msgs, room+" "+string(body))
}

type env struct {
	t      *testing.T
	db     *store.Store
	files  *Store
	signer *token.Signer
	told   *broadcasts
	url    string
}

func newEnv(t *testing.T, maxSize int64) *env {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), filepath.Join(dir, "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	signer, err := token.NewSigner([]byte(strings.Repeat("k", 32)), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &Store{Dir: filepath.Join(dir, "files"), DB: db, MaxSize: maxSize}
	if err := st.Init(); err != nil {
		t.Fatal(err)
	}
	told := &broadcasts{}
	api := &API{Files: st, Auth: tokenAuth{signer}, Notify: told, Log: slog.New(slog.DiscardHandler)}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, db: db, files: st, signer: signer, told: told, url: srv.URL}
}

// room creates a room; with incident, an incident's room.
func (e *env) room(incident bool) string {
	e.t.Helper()
	ctx, now := context.Background(), time.Now().UTC()
	room := store.Room{ID: token.NewID("r_"), Name: "Agence", CreatedAt: now}
	if !incident {
		if err := e.db.CreateRoom(ctx, room); err != nil {
			e.t.Fatal(err)
		}
		return room.ID
	}
	site := token.NewID("site_")
	out, err := e.db.RecordAlarm(ctx,
		store.Alarm{ID: token.NewID("a_"), DedupeKey: token.NewID("k_"), DedupeSince: now.Add(-time.Minute), Site: site, Opens: true,
			Kind: "holdup", Source: "test", Code: "HA", OccurredAt: now, ReceivedAt: now, Raw: "-"},
		store.Incident{ID: token.NewID("i_"), Site: site, Room: room.ID, Kind: "holdup", Source: "test", OpenedAt: now}, room)
	if err != nil || !out.Opened {
		e.t.Fatalf("open incident: %+v, %v", out, err)
	}
	return room.ID
}

func (e *env) incidentOf(room string) string {
	e.t.Helper()
	list, err := e.db.OpenIncidents(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, inc := range list {
		if inc.Room == room {
			return inc.ID
		}
	}
	e.t.Fatalf("no incident for room %s", room)
	return ""
}

func (e *env) token(room, role string) string {
	e.t.Helper()
	tok, err := e.signer.Sign(token.Claims{Room: room, Subject: token.NewID("p_"), Name: "Agent " + role, Role: role, Expiry: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) do(method, path, tok string, body io.Reader, hdr ...string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.url+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (e *env) upload(room, tok, name string, body []byte) FileInfo {
	e.t.Helper()
	resp := e.do("POST", "/api/v1/rooms/"+room+"/files?name="+urlQuery(name), tok, bytes.NewReader(body))
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		e.t.Fatalf("upload %q: %s %s", name, resp.Status, b)
	}
	var info FileInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		e.t.Fatal(err)
	}
	return info
}

func urlQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 2000)...)

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestUploadStoresByHashAndServes(t *testing.T) {
	e := newEnv(t, 1<<20)
	room := e.room(false)
	tok := e.token(room, token.RoleParticipant)
	info := e.upload(room, tok, "../../Photo d'entrée.png", pngBytes)
	if info.SHA256 != sha(pngBytes) || info.Size != int64(len(pngBytes)) || info.Type != "image/png" || !info.Inline {
		t.Fatalf("info %+v", info)
	}
	if info.Name != "Photo d'entrée.png" {
		t.Fatalf("name %q", info.Name)
	}
	stored, err := os.ReadFile(filepath.Join(e.files.Dir, info.SHA256))
	if err != nil || !bytes.Equal(stored, pngBytes) {
		t.Fatalf("stored bytes: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(e.files.Dir, ".upload-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
	resp := e.do("GET", info.URL, tok, nil)
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, pngBytes) {
		t.Fatalf("GET: %s, %d bytes", resp.Status, len(got))
	}
	e.told.mu.Lock()
	defer e.told.mu.Unlock()
	if len(e.told.msgs) != 1 || !strings.Contains(e.told.msgs[0], `"type":"file_shared"`) || !strings.HasPrefix(e.told.msgs[0], room+" ") {
		t.Fatalf("broadcasts %q", e.told.msgs)
	}
}

func TestContentHeaders(t *testing.T) {
	e := newEnv(t, 1<<20)
	room := e.room(false)
	tok := e.token(room, token.RoleParticipant)
	cases := []struct {
		name, query   string
		body          []byte
		wantType      string
		wantDisposStr string
	}{
		{"image inline", "", pngBytes, "image/png", `inline; filename="x.png"; filename*=UTF-8''x.png`},
		{"image download", "?download=1", pngBytes, "image/png", `attachment; filename="x.png"`},
		{"pdf inline", "", []byte("%PDF-1.4\n%...\n"), "application/pdf", "inline;"},
		{"html is never html", "", []byte("<!DOCTYPE html><script>alert(1)</script>"), "application/octet-stream", "attachment;"},
		{"svg is never svg", "", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "application/octet-stream", "attachment;"},
		{"text is attachment", "", []byte("hello\n"), "text/plain; charset=utf-8", "attachment;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ext := map[string]string{"image/png": ".png", "application/pdf": ".pdf"}[c.wantType]
			if ext == "" {
				ext = ".html"
			}
			info := e.upload(room, tok, "x"+ext, c.body)
			resp := e.do("GET", info.URL+c.query, tok, nil)
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("Content-Type") != c.wantType {
				t.Fatalf("%s, type %q, want %q", resp.Status, h.Get("Content-Type"), c.wantType)
			}
			if !strings.HasPrefix(h.Get("Content-Disposition"), c.wantDisposStr) {
				t.Fatalf("disposition %q, want prefix %q", h.Get("Content-Disposition"), c.wantDisposStr)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
				t.Fatalf("headers %v", h)
			}
		})
	}
}

func TestDispositionUnicode(t *testing.T) {
	got := Disposition(true, `rapport "été" 100%.pdf`)
	want := `attachment; filename="rapport __t__ 100_.pdf"; filename*=UTF-8''rapport%20%22%C3%A9t%C3%A9%22%20100%25.pdf`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestRangeRequest(t *testing.T) {
	e := newEnv(t, 1<<20)
	room := e.room(false)
	tok := e.token(room, token.RoleParticipant)
	clip := append([]byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"), bytes.Repeat([]byte{1}, 5000)...)
	info := e.upload(room, tok, "clip.mp4", clip)
	if info.Type != "video/mp4" {
		t.Fatalf("type %q", info.Type)
	}
	resp := e.do("GET", info.URL, tok, nil, "Range", "bytes=100-199")
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, clip[100:200]) {
		t.Fatalf("%s, %d bytes", resp.Status, len(got))
	}
}

func TestSizeLimit(t *testing.T) {
	const limit = 64 << 10
	e := newEnv(t, limit)
	room := e.room(false)
	tok := e.token(room, token.RoleParticipant)
	path := "/api/v1/rooms/" + room + "/files?name=big.bin"
	over := bytes.Repeat([]byte{'a'}, limit+1)

	t.Run("announced length refused before reading", func(t *testing.T) {
		// The body would block forever if the server read it.
		pr, pw := io.Pipe()
		defer pw.Close()
		req, _ := http.NewRequest("POST", e.url+path, pr)
		req.ContentLength = 10 << 30
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkTooLarge(t, resp)
	})
	t.Run("chunked, no length", func(t *testing.T) {
		req, _ := http.NewRequest("POST", e.url+path, io.MultiReader(bytes.NewReader(over)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		checkTooLarge(t, resp)
	})
	t.Run("multipart over the limit", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "big.bin")
		fw.Write(over)
		mw.Close()
		resp := e.do("POST", "/api/v1/rooms/"+room+"/files", tok, &buf, "Content-Type", mw.FormDataContentType())
		checkTooLarge(t, resp)
	})
	t.Run("exactly the limit is fine, multipart", func(t *testing.T) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "ok.bin")
		fw.Write(over[:limit])
		mw.Close()
		resp := e.do("POST", "/api/v1/rooms/"+room+"/files", tok, &buf, "Content-Type", mw.FormDataContentType())
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s", resp.Status)
		}
	})
	list, err := e.files.List(context.Background(), room)
	if err != nil || len(list) != 1 || list[0].Name != "ok.bin" {
		t.Fatalf("files %+v, %v", list, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(e.files.Dir, ".upload-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temp files left: %v", leftovers)
	}
}

func checkTooLarge(t *testing.T, resp *http.Response) {
	t.Helper()
	var body struct {
		Error struct {
			Code, Message string
			MaxSize       int64 `json:"max_size"`
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || body.Error.Code != "file_too_large" || body.Error.MaxSize != 64<<10 ||
		body.Error.Message != "this file is over 64 KB" {
		t.Fatalf("%s %+v", resp.Status, body)
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t, 1<<20)
	room, other := e.room(false), e.room(false)
	owner := e.token(room, token.RoleParticipant)
	info := e.upload(room, owner, "a.png", pngBytes)
	files := "/api/v1/rooms/" + room + "/files"
	cases := []struct {
		name, method, path, tok string
		want                    int
	}{
		{"no token upload", "POST", files + "?name=x", "", 401},
		{"no token read", "GET", info.URL, "", 401},
		{"bad token", "GET", info.URL, "nope.nope", 401},
		{"other room's token read", "GET", info.URL, e.token(other, token.RoleParticipant), 403},
		{"other room's token list", "GET", files, e.token(other, token.RoleOperator), 403},
		{"observer upload", "POST", files + "?name=x", e.token(room, token.RoleObserver), 403},
		{"observer reads", "GET", info.URL, e.token(room, token.RoleObserver), 200},
		{"participant withdraw", "DELETE", info.URL, owner, 403},
		{"unknown file", "GET", files + "/f_nope", owner, 404},
		{"file of another room", "GET", "/api/v1/rooms/" + other + "/files/" + info.ID, e.token(other, token.RoleParticipant), 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := e.do(c.method, c.path, c.tok, strings.NewReader("data"))
			if resp.StatusCode != c.want {
				t.Fatalf("%s %s: %s, want %d", c.method, c.path, resp.Status, c.want)
			}
		})
	}
	// The token can come in the query, for <img src>.
	resp := e.do("GET", info.URL+"?t="+owner, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("?t=: %s", resp.Status)
	}
}

func TestWithdraw(t *testing.T) {
	e := newEnv(t, 1<<20)
	room := e.room(false)
	op := e.token(room, token.RoleOperator)
	info := e.upload(room, e.token(room, token.RoleParticipant), "a.png", pngBytes)
	if resp := e.do("DELETE", info.URL, op, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("withdraw: %s", resp.Status)
	}
	if resp := e.do("GET", info.URL, op, nil); resp.StatusCode != http.StatusGone {
		t.Fatalf("read withdrawn: %s", resp.Status)
	}
	var list struct{ Files []FileInfo }
	json.NewDecoder(e.do("GET", "/api/v1/rooms/"+room+"/files", op, nil).Body).Decode(&list)
	if len(list.Files) != 0 {
		t.Fatalf("listed %+v", list.Files)
	}
	// The bytes stay for the evidence bundle.
	all, err := e.files.ListAll(context.Background(), room)
	if err != nil || len(all) != 1 || all[0].WithdrawnAt == nil {
		t.Fatalf("all %+v %v", all, err)
	}
	if _, err := os.Stat(e.files.Path(info.SHA256)); err != nil {
		t.Fatal(err)
	}
	e.told.mu.Lock()
	defer e.told.mu.Unlock()
	if last := e.told.msgs[len(e.told.msgs)-1]; !strings.Contains(last, `"type":"file_withdrawn"`) || !strings.Contains(last, info.ID) {
		t.Fatalf("last broadcast %q", last)
	}
}

func TestConcurrentUploads(t *testing.T) {
	e := newEnv(t, 1<<20)
	room := e.room(true)
	tok := e.token(room, token.RoleResponder)
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := append(append([]byte{}, pngBytes...), byte(i%4)) // 4 distinct contents, each 3 times
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/rooms/%s/files?name=p%d.png", e.url, room, i), bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				errs <- resp.Status
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, _ := e.files.List(context.Background(), room)
	stored, _ := os.ReadDir(e.files.Dir)
	if len(list) != n || len(stored) != 4 {
		t.Fatalf("%d rows, %d stored files", len(list), len(stored))
	}
	entries, err := e.db.Timeline(context.Background(), e.incidentOf(room))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyChain(entries); err != nil {
		t.Fatal(err)
	}
}

func TestIncidentTimeline(t *testing.T) {
	e := newEnv(t, 1<<20)
	room := e.room(true)
	tok := e.token(room, token.RoleResponder)
	op := e.token(room, token.RoleOperator)
	info := e.upload(room, tok, "a.png", pngBytes)
	e.do("GET", info.URL, tok, nil)
	e.do("GET", info.URL+"?download=1", tok, nil)
	e.do("GET", info.URL, tok, nil, "Range", "bytes=10-20") // a later range of a view: not a new view
	e.do("DELETE", info.URL, op, nil)

	entries, err := e.db.Timeline(context.Background(), e.incidentOf(room))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyChain(entries); err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, en := range entries {
		if strings.HasPrefix(en.Kind, "file_") {
			kinds = append(kinds, en.Kind)
			if en.Detail["subject"] != info.ID || en.Detail["sha256"] != info.SHA256 || en.Actor == "" {
				t.Fatalf("entry %+v", en)
			}
		}
	}
	want := "file_shared file_viewed file_downloaded file_withdrawn"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("timeline %q, want %q", got, want)
	}
	log, err := e.db.AccessLog(context.Background(), room)
	if err != nil || len(log) != 4 || log[1].ActorName != "Agent responder" {
		t.Fatalf("access log %+v %v", log, err)
	}
}

func TestOpenRefusesBadHash(t *testing.T) {
	s := &Store{Dir: t.TempDir()}
	for _, h := range []string{"", "../vigie.db", strings.Repeat("A", 64), strings.Repeat("a", 63)} {
		if _, err := s.Open(h); err == nil {
			t.Fatalf("Open(%q) accepted", h)
		}
	}
}
