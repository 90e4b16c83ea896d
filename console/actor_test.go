package console

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/config"
	"vigie/incident"
	"vigie/notify"
	"vigie/store"
	"vigie/token"
)

type noCameras struct{}

func (noCameras) Attach(string, []string) error { return nil }
func (noCameras) Detach(string)                 {}

// flakyMail accepts mail to everyone but one address, which the server
// refuses for good.
type flakyMail struct{ refuse string }

func (m flakyMail) Send(_ context.Context, r notify.Rendered) error {
	if strings.Contains(r.To, m.refuse) {
		return errors.Join(notify.ErrRejected, errors.New("550 5.1.1 mailbox unknown"))
	}
	return nil
}

// TestActionsAreRecordedUnderTheOperatorsName runs the console on the real
// incident API and store: raising, revoking and closing are on the
// incident's timeline as done by the operator, and the invitations show
// where their e-mail stands.
func TestActionsAreRecordedUnderTheOperatorsName(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Default()
	cfg.Contacts = []config.Contact{
		{ID: "dupont", Name: "Capitaine Dupont", Email: "dupont@police.example"},
		{ID: "lee", Name: "Lee", Email: "lee@nowhere.example", Role: "observer"},
	}
	cfg.Sites = []config.Site{{ID: "joliette", Name: "Poste Joliette", Committee: []string{"dupont", "lee"}}}
	signer, _ := token.NewSigner([]byte(strings.Repeat("k", 32)), nil)
	var svc *incident.Service
	outbox, err := notify.NewOutbox(notify.OutboxConfig{Transport: flakyMail{refuse: "nowhere"}, Store: st, Log: quiet,
		OnStatus: func(s notify.Status) { svc.OnMailStatus(s) }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err = incident.New(incident.Config{Store: st, Cameras: noCameras{}, Mailer: outbox, Tokens: signer,
		Directory: incident.NewDirectory(cfg), PublicURL: "https://vigie.test", Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { outbox.Run(ctx) })
	wg.Go(func() { svc.Run(ctx, time.Hour) })
	t.Cleanup(func() { cancel(); wg.Wait(); _ = st.Close() })

	h := newHarness(t, alice(t), func(c *Config) {
		c.Incidents = (&incident.API{Service: svc, Store: st}).Handler()
		c.Mail = st
		c.Now = time.Now
	})
	id := h.login("alice", password)

	w := h.do(request{method: "POST", path: "/console/api/incidents", cookie: id, body: map[string]string{"site": "joliette", "kind": "panic"}})
	var raised struct {
		ID          string `json:"id"`
		Kind        string `json:"kind"`
		OperatorURL string `json:"operator_url"`
	}
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &raised) != nil || raised.Kind != "panic" || raised.OperatorURL == "" {
		t.Fatalf("raise: %d %s", w.Code, w.Body)
	}

	// The list shows each invitation's e-mail once the outbox has tried.
	type invitation struct {
		ID, Name, State string
		Mail            *struct{ State, Error string }
	}
	var invs []invitation
	deadline := time.Now().Add(10 * time.Second)
	for {
		w = h.do(request{method: "GET", path: "/console/api/incidents", cookie: id})
		var list struct {
			Incidents []struct {
				ID          string
				Invitations []invitation
			}
		}
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &list) != nil || len(list.Incidents) != 1 {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		invs = list.Incidents[0].Invitations
		slices.SortFunc(invs, func(a, b invitation) int { return strings.Compare(a.Name, b.Name) }) // Capitaine Dupont, Lee
		if len(invs) == 2 && invs[0].State == "sent" && invs[1].State == "failed" && invs[1].Mail != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invitations never became sent and failed: %s", w.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if invs[1].Mail.State != "failed" || !strings.Contains(invs[1].Mail.Error, "mailbox unknown") {
		t.Errorf("failed invitation's mail: %+v", *invs[1].Mail)
	}

	if w := h.do(request{method: "POST", path: "/console/api/invitations/" + invs[1].ID + "/revoke", cookie: id}); w.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	if w := h.do(request{method: "POST", path: "/console/api/incidents/" + raised.ID + "/close", cookie: id}); w.Code != http.StatusNoContent {
		t.Fatalf("close: %d %s", w.Code, w.Body)
	}
	if w := h.do(request{method: "POST", path: "/console/api/incidents/i_nope/close", cookie: id}); w.Code != http.StatusNotFound {
		t.Errorf("close an unknown incident: %d", w.Code)
	}

	timeline, err := st.Timeline(context.Background(), raised.ID)
	if err != nil {
		t.Fatal(err)
	}
	actors := map[string]string{}
	for _, e := range timeline {
		actors[e.Kind] = e.Actor
	}
	for _, kind := range []string{"alarm", "invitation_revoked", "incident_closed"} {
		if actors[kind] != "operator:alice" {
			t.Errorf("timeline %s by %q, want operator:alice (timeline %v)", kind, actors[kind], actors)
		}
	}
	if err := store.VerifyChain(timeline); err != nil {
		t.Error(err)
	}
}
