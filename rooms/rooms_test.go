package rooms

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigie/store"
	"vigie/token"
)

func testAPI(t *testing.T) (*API, *token.Signer) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	signer, _ := token.NewSigner([]byte(strings.Repeat("k", 32)), nil)
	svc := &Service{Store: st, Cameras: &shownCameras{known: map[string]bool{"entree": true, "cour": true}},
		Tokens: signer, PublicURL: "https://vigie.test:8443/", DefaultTTL: time.Hour, Log: slog.Default()}
	return &API{Service: svc, AdminKeys: []string{"", "the-admin-key-of-this-test"}}, signer
}

func call(t *testing.T, a *API, method, key, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, "/api/v1/rooms", strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	rec := httptest.NewRecorder()
	a.Handler().ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec, out
}

func TestCreateRoomThroughAPI(t *testing.T) {
	a, signer := testAPI(t)
	rec, out := call(t, a, http.MethodPost, "the-admin-key-of-this-test",
		`{"name":"Exercice","links":[{"name":"Police","role":"participant"},{"name":"Op","role":"operator"},{"name":"SDIS"}],"ttl":"2h"}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %v", rec.Code, out)
	}
	room := out["room"].(map[string]any)
	links := out["links"].([]any)
	if room["name"] != "Exercice" || len(links) != 3 {
		t.Fatalf("answer %v", out)
	}
	subjects := map[string]bool{}
	for i, raw := range links {
		l := raw.(map[string]any)
		prefix := "https://vigie.test:8443/room/" + room["id"].(string) + "?t="
		u := l["url"].(string)
		if !strings.HasPrefix(u, prefix) {
			t.Fatalf("link %d: %s", i, u)
		}
		claims, err := signer.Verify(strings.TrimPrefix(u, prefix), room["id"].(string))
		if err != nil {
			t.Fatalf("link %d token: %v", i, err)
		}
		if claims.Name != l["name"] || claims.Role != l["role"] || subjects[claims.Subject] {
			t.Fatalf("link %d claims %+v", i, claims)
		}
		subjects[claims.Subject] = true
		if left := time.Until(claims.ExpiresAt()); left < 119*time.Minute || left > 2*time.Hour {
			t.Fatalf("link %d expires in %v", i, left)
		}
	}
	if links[2].(map[string]any)["role"] != token.RoleParticipant {
		t.Fatal("a link without a role is not a participant link")
	}

	rec, out = call(t, a, http.MethodGet, "the-admin-key-of-this-test", "")
	if rec.Code != 200 || len(out["rooms"].([]any)) != 1 {
		t.Fatalf("list: %d %v", rec.Code, out)
	}
}

func TestCreateRoomRefusals(t *testing.T) {
	a, _ := testAPI(t)
	key := "the-admin-key-of-this-test"
	tests := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"no key", "", `{"name":"x"}`, 401, "unauthorized"},
		{"wrong key", "nope", `{"name":"x"}`, 401, "unauthorized"},
		{"empty configured key never matches", " ", `{"name":"x"}`, 401, "unauthorized"},
		{"not json", key, `{name`, 400, "bad_request"},
		{"unknown field", key, `{"name":"x","colour":"red"}`, 400, "bad_request"},
		{"no name", key, `{"name":"  "}`, 400, "bad_request"},
		{"long name", key, `{"name":"` + strings.Repeat("é", 121) + `"}`, 400, "bad_request"},
		{"bad role", key, `{"name":"x","links":[{"role":"admin"}]}`, 400, "bad_request"},
		{"bad ttl", key, `{"name":"x","ttl":"forever"}`, 400, "bad_request"},
		{"ttl too long", key, `{"name":"x","ttl":"800h"}`, 400, "bad_request"},
		{"too many links", key, `{"name":"x","links":[` + strings.TrimSuffix(strings.Repeat(`{"name":"a"},`, 51), ",") + `]}`, 400, "bad_request"},
		{"unknown camera", key, `{"name":"x","cameras":["entree","garage"]}`, 400, "bad_request"},
		{"camera twice", key, `{"name":"x","cameras":["entree","entree"]}`, 400, "bad_request"},
		{"huge body", key, `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, 400, "bad_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, out := call(t, a, http.MethodPost, tt.key, tt.body)
			code, _ := out["error"].(map[string]any)["code"].(string)
			if rec.Code != tt.status || code != tt.code {
				t.Fatalf("got %d %q, want %d %q", rec.Code, code, tt.status, tt.code)
			}
		})
	}
	if rooms, _ := a.Service.Store.OpenRooms(context.Background()); len(rooms) != 0 {
		t.Fatalf("refused requests stored %d rooms", len(rooms))
	}
}

// shownCameras records which rooms show which configured cameras.
type shownCameras struct {
	known map[string]bool
	shown map[string][]string
}

func (c *shownCameras) Has(id string) bool { return c.known[id] }

func (c *shownCameras) Attach(roomID string, ids []string) error {
	if c.shown == nil {
		c.shown = map[string][]string{}
	}
	c.shown[roomID] = append(c.shown[roomID], ids...)
	return nil
}

func TestCreateRoomWithCameras(t *testing.T) {
	a, _ := testAPI(t)
	rec, out := call(t, a, http.MethodPost, "the-admin-key-of-this-test", `{"name":"Agence","cameras":["cour","entree"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("%d %v", rec.Code, out)
	}
	id := out["room"].(map[string]any)["id"].(string)
	shown := a.Service.Cameras.(*shownCameras).shown
	if got := strings.Join(shown[id], ","); got != "cour,entree" {
		t.Fatalf("room shows %q", got)
	}
	// After a restart the open room shows its cameras again.
	a.Service.Cameras.(*shownCameras).shown = nil
	if err := a.Service.Reopen(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(a.Service.Cameras.(*shownCameras).shown[id], ","); got != "cour,entree" {
		t.Fatalf("after reopen the room shows %q", got)
	}
}
