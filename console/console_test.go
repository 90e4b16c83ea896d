package console

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"vigie/config"
)

const password = "correct horse battery staple"

// clock is a settable time for session expiry and login limits.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func bcryptOf(t *testing.T, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// argon2idOf makes a PHC string with small parameters: tests need speed,
// not strength (config.Validate enforces that).
func argon2idOf(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 1, 64, 1, 32)
	return fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s",
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// stubAPI stands for the incident API: it records the paths it is called
// with and answers 204.
type stubAPI struct {
	mu    sync.Mutex
	paths []string
}

func (s *stubAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

type harness struct {
	t       *testing.T
	console *Console
	clock   *clock
	api     *stubAPI
}

func newHarness(t *testing.T, ops []config.Operator, tweak func(*Config)) *harness {
	t.Helper()
	h := &harness{t: t, clock: &clock{now: time.Date(2026, 11, 28, 14, 0, 0, 0, time.UTC)}, api: &stubAPI{}}
	cfg := Config{
		Operators: ops,
		Sites: []config.Site{
			{ID: "joliette", Name: "Poste Joliette", Address: "10 place de la Joliette", Cameras: []string{"guichet", "rue"}},
			{ID: "canebiere", Name: "Poste Canebière", Address: "1 La Canebière"},
		},
		Cameras: []config.Camera{
			{ID: "guichet", Name: "Guichet", URL: "rtsp://admin:secret@10.0.0.5/1"},
			{ID: "rue", URL: "rtsp://admin:secret@10.0.0.6/1"},
		},
		Incidents: h.api,
		Now:       h.clock.Now,
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.console = c
	return h
}

func alice(t *testing.T) []config.Operator {
	return []config.Operator{{Username: "alice", Name: "Alice Martin", PasswordHash: bcryptOf(t, password)}}
}

// request sends one request; body is JSON unless it is url.Values.
type request struct {
	method, path string
	body         any
	cookie       string
	noCSRF       bool
	background   bool // the page's automatic refresh
	remote       string
}

func (h *harness) do(req request) *httptest.ResponseRecorder {
	h.t.Helper()
	var body io.Reader
	var ctype string
	switch b := req.body.(type) {
	case nil:
	case url.Values:
		body, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		data, _ := json.Marshal(b)
		body, ctype = strings.NewReader(string(data)), "application/json"
	}
	r := httptest.NewRequest(req.method, "https://vigie.test"+req.path, body)
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	if req.method == http.MethodPost && !req.noCSRF {
		r.Header.Set(CSRFHeader, "1")
	}
	if req.cookie != "" {
		r.AddCookie(&http.Cookie{Name: CookieName, Value: req.cookie})
	}
	if req.remote != "" {
		r.RemoteAddr = req.remote
	}
	if req.background {
		r.Header.Set(BackgroundHeader, "1")
	}
	w := httptest.NewRecorder()
	h.console.ServeHTTP(w, r)
	return w
}

// login logs in and returns the session cookie's value.
func (h *harness) login(user, pw string) string {
	h.t.Helper()
	w := h.do(request{method: "POST", path: "/console/login", body: map[string]string{"username": user, "password": pw}})
	if w.Code != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", user, w.Code, w.Body)
	}
	return sessionCookie(h.t, w).Value
}

func sessionCookie(t *testing.T, w *httptest.ResponseRecorder) *http.Cookie {
	t.Helper()
	for _, c := range w.Result().Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", CookieName, w.Header().Values("Set-Cookie"))
	return nil
}

func errorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("answer %d is not an error: %s", w.Code, w.Body)
	}
	return body.Error.Code
}

func TestLoginStartsASession(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	w := h.do(request{method: "POST", path: "/console/login", body: map[string]string{"username": "alice", "password": password}})
	if w.Code != http.StatusOK {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	ck := sessionCookie(t, w)
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" {
		t.Errorf("cookie %+v: want Secure, HttpOnly, SameSite=Strict, Path=/ and no Domain", ck)
	}
	if raw, err := base64.RawURLEncoding.DecodeString(ck.Value); err != nil || len(raw) != 32 {
		t.Errorf("session id %q is not 32 bytes of base64url", ck.Value)
	}
	w = h.do(request{method: "GET", path: "/console/api/session", cookie: ck.Value})
	var who struct{ Username, Name string }
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &who) != nil || who.Username != "alice" || who.Name != "Alice Martin" {
		t.Fatalf("session: %d %s", w.Code, w.Body)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	// A form works as well as JSON.
	w = h.do(request{method: "POST", path: "/console/login", body: url.Values{"username": {"alice"}, "password": {password}}})
	if w.Code != http.StatusOK {
		t.Fatalf("form login: %d %s", w.Code, w.Body)
	}
	if other := sessionCookie(t, w).Value; other == ck.Value {
		t.Error("two logins got the same session id")
	}
}

func TestLoginRefusesWrongPasswordAndUnknownUser(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	wrong := h.do(request{method: "POST", path: "/console/login", body: map[string]string{"username": "alice", "password": "Correct horse battery staple"}})
	unknown := h.do(request{method: "POST", path: "/console/login", body: map[string]string{"username": "mallory", "password": password}})
	for name, w := range map[string]*httptest.ResponseRecorder{"wrong password": wrong, "unknown user": unknown} {
		if w.Code != http.StatusUnauthorized || errorCode(t, w) != "login_failed" {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
		if len(w.Result().Cookies()) != 0 {
			t.Errorf("%s: a cookie was set", name)
		}
	}
	if wrong.Body.String() != unknown.Body.String() {
		t.Errorf("the answers tell a wrong password (%s) from an unknown user (%s)", wrong.Body, unknown.Body)
	}
	for _, body := range []any{map[string]string{"username": "alice"}, url.Values{"password": {password}}, "not an object"} {
		if w := h.do(request{method: "POST", path: "/console/login", body: body}); w.Code != http.StatusBadRequest {
			t.Errorf("login with %v: %d", body, w.Code)
		}
	}
}

// An unknown user costs the same password check as a known one: the decoy
// is a hash of the same kind and cost as the first operator's.
func TestDecoyMatchesTheOperatorsHash(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	d, ok := h.console.decoy.(bcryptHash)
	if !ok {
		t.Fatalf("decoy is %T, want bcrypt", h.console.decoy)
	}
	if cost, err := bcrypt.Cost([]byte(d)); err != nil || cost != bcrypt.MinCost {
		t.Errorf("decoy cost %d (%v), want %d", cost, err, bcrypt.MinCost)
	}
	if d == h.console.operators["alice"].hash {
		t.Error("the decoy is the operator's own hash")
	}
	a := newHarness(t, []config.Operator{{Username: "bob", PasswordHash: argon2idOf(password)}}, nil)
	ad, ok := a.console.decoy.(argon2Hash)
	op := a.console.operators["bob"].hash.(argon2Hash)
	if !ok || ad.Memory != op.Memory || ad.Time != op.Time || ad.Threads != op.Threads || len(ad.Key) != len(op.Key) {
		t.Errorf("decoy %v does not match %v", a.console.decoy, op)
	}
}

func TestBcryptAndArgon2idHashes(t *testing.T) {
	base := bcryptOf(t, password)
	ops := []config.Operator{
		{Username: "b2b", PasswordHash: base},
		{Username: "b2y", PasswordHash: "$2y$" + base[4:]}, // htpasswd writes $2y$: the same algorithm
		{Username: "b2a", PasswordHash: "$2a$" + base[4:]},
		{Username: "argon", PasswordHash: argon2idOf(password)},
	}
	h := newHarness(t, ops, nil)
	for _, op := range ops {
		h.login(op.Username, password)
		w := h.do(request{method: "POST", path: "/console/login", body: map[string]string{"username": op.Username, "password": password + "!"}})
		if w.Code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: %d", op.Username, w.Code)
		}
	}
	// PHP's documented example of password_verify, made by another bcrypt.
	php := newHarness(t, []config.Operator{{Username: "rasmus", PasswordHash: "$2y$10$.vGA1O9wmRjrwAVXD98HNOgsNpDczlqm3Jq7KnEd1rVAGv3Fykk1a"}}, nil)
	php.login("rasmus", "rasmuslerdorf")
}

func TestNewRefusesBadHashes(t *testing.T) {
	for _, hash := range []string{"", "hunter2", "$2b$12$short", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$"} {
		_, err := New(Config{Operators: []config.Operator{{Username: "alice", PasswordHash: hash}}, Incidents: &stubAPI{}})
		if err == nil {
			t.Errorf("New accepted hash %q", hash)
		}
	}
}

func TestSessionExpires(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	alive := func(id string) bool {
		return h.do(request{method: "GET", path: "/console/api/session", cookie: id}).Code == http.StatusOK
	}
	// Idle: an hour without a request ends it.
	id := h.login("alice", password)
	h.clock.Add(59 * time.Minute)
	if !alive(id) {
		t.Fatal("session gone after 59 idle minutes")
	}
	h.clock.Add(59 * time.Minute)
	if !alive(id) {
		t.Fatal("a request did not keep the session alive")
	}
	h.clock.Add(time.Hour)
	if alive(id) {
		t.Fatal("session alive after an idle hour")
	}
	// The page's automatic refreshes do not count as activity.
	id = h.login("alice", password)
	for range 5 {
		h.clock.Add(10 * time.Minute)
		if w := h.do(request{method: "GET", path: "/console/api/incidents", cookie: id, background: true}); w.Code != http.StatusNoContent {
			t.Fatalf("background refresh at %v: %d", h.clock.Now(), w.Code)
		}
	}
	h.clock.Add(9 * time.Minute)
	if !alive(id) { // 59 minutes after the login, an active request
		t.Fatal("session gone before its idle hour")
	}
	h.clock.Add(30 * time.Minute)
	if w := h.do(request{method: "GET", path: "/console/api/incidents", cookie: id, background: true}); w.Code != http.StatusNoContent {
		t.Fatalf("background refresh 30 minutes after activity: %d", w.Code)
	}
	h.clock.Add(30 * time.Minute)
	if w := h.do(request{method: "GET", path: "/console/api/incidents", cookie: id, background: true}); w.Code != http.StatusUnauthorized {
		t.Fatalf("background refreshes kept an idle session alive: %d", w.Code)
	}

	// Absolute: twelve hours after login, however busy.
	id = h.login("alice", password)
	for range 23 {
		h.clock.Add(30 * time.Minute)
		if !alive(id) {
			t.Fatalf("session gone at %v", h.clock.Now())
		}
	}
	h.clock.Add(30 * time.Minute)
	if alive(id) {
		t.Fatal("session alive 12 h after login")
	}
	if w := h.do(request{method: "GET", path: "/console/api/incidents", cookie: id}); w.Code != http.StatusUnauthorized || errorCode(t, w) != "unauthorized" {
		t.Fatalf("API with an expired session: %d %s", w.Code, w.Body)
	}
	if n := h.console.sessions.count(); n != 0 {
		t.Errorf("%d expired sessions still held", n)
	}
}

func TestStateChangesNeedTheConsoleHeader(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	id := h.login("alice", password)
	for _, req := range []request{
		{method: "POST", path: "/console/login", body: map[string]string{"username": "alice", "password": password}},
		{method: "POST", path: "/console/logout", cookie: id},
		{method: "POST", path: "/console/api/incidents", cookie: id, body: map[string]string{"site": "joliette"}},
		{method: "POST", path: "/console/api/incidents/i_1/close", cookie: id},
		{method: "POST", path: "/console/api/invitations/v_1/revoke", cookie: id},
		{method: "POST", path: "/console/api/incidents/i_1/invitations", cookie: id, body: map[string]string{"email": "a@b.example"}},
	} {
		req.noCSRF = true
		if w := h.do(req); w.Code != http.StatusForbidden || errorCode(t, w) != "forbidden" {
			t.Errorf("%s %s without %s: %d %s", req.method, req.path, CSRFHeader, w.Code, w.Body)
		}
	}
	if len(h.api.paths) != 0 {
		t.Errorf("the incident API was called: %v", h.api.paths)
	}
	// The session survived the refused logout.
	if w := h.do(request{method: "GET", path: "/console/api/session", cookie: id}); w.Code != http.StatusOK {
		t.Fatalf("session after refused requests: %d", w.Code)
	}
}

func TestLogout(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	id := h.login("alice", password)
	other := h.login("alice", password) // another browser
	w := h.do(request{method: "POST", path: "/console/logout", cookie: id})
	if w.Code != http.StatusNoContent {
		t.Fatalf("logout: %d %s", w.Code, w.Body)
	}
	if ck := sessionCookie(t, w); ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("logout cookie %+v does not clear it", ck)
	}
	if w := h.do(request{method: "GET", path: "/console/api/session", cookie: id}); w.Code != http.StatusUnauthorized {
		t.Errorf("session after logout: %d", w.Code)
	}
	if w := h.do(request{method: "GET", path: "/console/api/session", cookie: other}); w.Code != http.StatusOK {
		t.Errorf("the other browser's session after logout: %d", w.Code)
	}
	if w := h.do(request{method: "POST", path: "/console/logout"}); w.Code != http.StatusNoContent {
		t.Errorf("logout without a session: %d", w.Code)
	}
}

func TestFailedLoginsAreLimited(t *testing.T) {
	h := newHarness(t, append(alice(t), config.Operator{Username: "bob", PasswordHash: bcryptOf(t, password)}), nil)
	try := func(user, pw, remote string) *httptest.ResponseRecorder {
		return h.do(request{method: "POST", path: "/console/login", remote: remote,
			body: map[string]string{"username": user, "password": pw}})
	}
	for i := range failsPerUser {
		if w := try("alice", "guess", fmt.Sprintf("198.51.100.%d:4000", i)); w.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, w.Code)
		}
	}
	// Alice's name is now locked, from any address, even with her password.
	w := try("alice", password, "203.0.113.9:5000")
	if w.Code != http.StatusTooManyRequests || errorCode(t, w) != "too_many_attempts" {
		t.Fatalf("login past the limit: %d %s", w.Code, w.Body)
	}
	if ra := w.Header().Get("Retry-After"); ra != "900" {
		t.Errorf("Retry-After %q, want 900", ra)
	}
	if try("bob", password, "203.0.113.9:5000").Code != http.StatusOK {
		t.Fatal("another user is locked too")
	}
	h.clock.Add(failWindow)
	h.login("alice", password)

	// One address trying many names is stopped too; others are not.
	for i := range failsPerIP {
		try(fmt.Sprintf("user%d", i), "guess", "192.0.2.50:1000")
	}
	if w := try("bob", password, "192.0.2.50:1001"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("login from a locked address: %d", w.Code)
	}
	if w := try("bob", password, "192.0.2.51:1000"); w.Code != http.StatusOK {
		t.Fatalf("login from another address: %d", w.Code)
	}
	// IPv6 addresses count by /64.
	for i := range failsPerIP {
		try(fmt.Sprintf("v6user%d", i), "guess", fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1))
	}
	if w := try("bob", password, "[2001:db8:1:2:ffff::1]:443"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("login from the same /64: %d", w.Code)
	}
}

func TestLimitsAreBounded(t *testing.T) {
	l := newLimiter(time.Minute, 3)
	now := time.Now()
	for i := range 10 {
		l.fail(fmt.Sprint("ip:", i), now.Add(time.Duration(i)*time.Second))
	}
	if len(l.strikes) != 3 {
		t.Fatalf("%d keys held, want 3", len(l.strikes))
	}
	if _, ok := l.strikes["ip:9"]; !ok {
		t.Error("the newest key was dropped")
	}

	h := newHarness(t, alice(t), func(c *Config) { c.MaxSessions = 3 })
	first := h.login("alice", password)
	h.clock.Add(time.Minute)
	ids := []string{first}
	for range 3 {
		h.clock.Add(time.Second)
		ids = append(ids, h.login("alice", password))
	}
	if n := h.console.sessions.count(); n != 3 {
		t.Fatalf("%d sessions held, want 3", n)
	}
	if w := h.do(request{method: "GET", path: "/console/api/session", cookie: first}); w.Code != http.StatusUnauthorized {
		t.Errorf("the least recently used session survived: %d", w.Code)
	}
	if w := h.do(request{method: "GET", path: "/console/api/session", cookie: ids[3]}); w.Code != http.StatusOK {
		t.Errorf("the newest session: %d", w.Code)
	}
}

func TestAPINeedsASession(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	for _, req := range []request{
		{method: "GET", path: "/console/api/session"},
		{method: "GET", path: "/console/api/sites"},
		{method: "GET", path: "/console/api/incidents"},
		{method: "POST", path: "/console/api/incidents", body: map[string]string{"site": "joliette"}},
		{method: "GET", path: "/console/api/incidents", cookie: strings.Repeat("A", 43)},
	} {
		if w := h.do(req); w.Code != http.StatusUnauthorized {
			t.Errorf("%s %s: %d", req.method, req.path, w.Code)
		}
	}
	if len(h.api.paths) != 0 {
		t.Errorf("the incident API was called: %v", h.api.paths)
	}
}

func TestForwardsToTheIncidentAPI(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	id := h.login("alice", password)
	for _, req := range []request{
		{method: "GET", path: "/console/api/incidents"},
		{method: "POST", path: "/console/api/incidents", body: map[string]string{"site": "joliette", "kind": "duress"}},
		{method: "POST", path: "/console/api/incidents/i_abc/close"},
		{method: "POST", path: "/console/api/invitations/v_abc/revoke"},
		{method: "POST", path: "/console/api/incidents/i_abc/invitations", body: map[string]string{"email": "a@b.example"}},
	} {
		req.cookie = id
		if w := h.do(req); w.Code != http.StatusNoContent {
			t.Errorf("%s %s: %d %s", req.method, req.path, w.Code, w.Body)
		}
	}
	want := []string{"GET /api/v1/incidents", "POST /api/v1/incidents", "POST /api/v1/incidents/i_abc/close", "POST /api/v1/invitations/v_abc/revoke", "POST /api/v1/incidents/i_abc/invitations"}
	if fmt.Sprint(h.api.paths) != fmt.Sprint(want) {
		t.Errorf("incident API called with %v, want %v", h.api.paths, want)
	}
	if w := h.do(request{method: "POST", path: "/console/api/incidents", cookie: id, body: map[string]string{"site": "joliette", "kind": "fire"}}); w.Code != http.StatusBadRequest {
		t.Errorf("unknown kind: %d", w.Code)
	}
	if w := h.do(request{method: "GET", path: "/console/api/rooms", cookie: id}); w.Code != http.StatusNotFound {
		t.Errorf("an endpoint the console does not have: %d", w.Code)
	}
}

func TestSites(t *testing.T) {
	h := newHarness(t, alice(t), nil)
	w := h.do(request{method: "GET", path: "/console/api/sites", cookie: h.login("alice", password)})
	if w.Code != http.StatusOK {
		t.Fatalf("sites: %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "rtsp") || strings.Contains(w.Body.String(), "secret") {
		t.Fatalf("sites show camera URLs: %s", w.Body)
	}
	want := `{"sites":[{"id":"canebiere","name":"Poste Canebière","address":"1 La Canebière","cameras":[]},` +
		`{"id":"joliette","name":"Poste Joliette","address":"10 place de la Joliette","cameras":[{"id":"guichet","name":"Guichet"},{"id":"rue","name":"rue"}]}]}`
	if got := strings.TrimSpace(w.Body.String()); got != want {
		t.Errorf("sites:\n%s\nwant\n%s", got, want)
	}
}

func TestNewNeedsOperators(t *testing.T) {
	if _, err := New(Config{Incidents: &stubAPI{}}); err == nil {
		t.Error("New without operators")
	}
	if _, err := New(Config{Operators: alice(t)}); err == nil {
		t.Error("New without the incident API")
	}
}
