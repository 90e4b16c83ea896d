package incident

import (
	"context"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/alarm"
	"vigie/config"
	"vigie/notify"
	"vigie/store"
	"vigie/token"
)

// shown records which rooms show which cameras.
type shown struct {
	mu    sync.Mutex
	rooms map[string][]string
}

func (s *shown) Attach(room string, ids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rooms[room] = ids
	return nil
}

func (s *shown) Detach(room string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.rooms, room)
}

// mailbox is a Transport that keeps what it is given.
type mailbox struct {
	mu   sync.Mutex
	sent []notify.Rendered
	got  chan struct{}
}

func (m *mailbox) Send(_ context.Context, r notify.Rendered) error {
	m.mu.Lock()
	m.sent = append(m.sent, r)
	m.mu.Unlock()
	m.got <- struct{}{}
	return nil
}

// wait returns once n mails in all were sent.
func (m *mailbox) wait(t *testing.T, n int) []notify.Rendered {
	t.Helper()
	for {
		m.mu.Lock()
		if len(m.sent) >= n {
			out := append([]notify.Rendered(nil), m.sent...)
			m.mu.Unlock()
			return out
		}
		m.mu.Unlock()
		select {
		case <-m.got:
		case <-time.After(20 * time.Second):
			t.Fatalf("%d mails sent, want %d", len(m.sent), n)
		}
	}
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type fixture struct {
	svc    *Service
	store  *store.Store
	cams   *shown
	mail   *mailbox
	clock  *clock
	signer *token.Signer
	stop   func()
}

func directory() config.Config {
	c := config.Default()
	c.Cameras = []config.Camera{{ID: "entree", URL: "rtsp://cam/1"}}
	c.Contacts = []config.Contact{
		{ID: "dupont", Name: "Capitaine Dupont", Email: "dupont@police.example", Role: "responder"},
		{ID: "lee", Name: "Lee", Email: "lee@example.org", Language: "en", Role: "observer"},
		{ID: "cdt", Name: "Commandant", Email: "cdt@sdis.example", Role: "committee"},
		{ID: "prefet", Name: "Préfet", Email: "prefet@example.gouv"},
	}
	c.Sites = []config.Site{{ID: "joliette", Name: "Bureau de poste de Joliette", Address: "10 place de la Joliette",
		Cameras: []string{"entree"}, Committee: []string{"dupont", "lee"}, Escalation: []string{"prefet"}}}
	c.Lists = config.Lists{Committee: []string{"cdt", "dupont"}}
	return c
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureAt(t, filepath.Join(t.TempDir(), "vigie.db"), &clock{now: time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC)})
}

// newFixtureAt runs the service on the database at path; f.stop ends it
// as a server's end would, and the test's end does it too.
func newFixtureAt(t *testing.T, path string, now *clock) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: st, cams: &shown{rooms: map[string][]string{}}, mail: &mailbox{got: make(chan struct{}, 100)},
		clock: now}
	f.signer, _ = token.NewSigner([]byte(strings.Repeat("s", 32)), nil)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var svc *Service
	outbox, err := notify.NewOutbox(notify.OutboxConfig{Transport: f.mail, Store: st, Log: quiet,
		OnStatus: func(s notify.Status) { svc.OnMailStatus(s) }})
	if err != nil {
		t.Fatal(err)
	}
	svc, err = New(Config{Store: st, Cameras: f.cams, Mailer: outbox, Tokens: f.signer, Directory: NewDirectory(directory()),
		PublicURL: "https://vigie.test:8443", CentrePhone: "04 00 00 00 00", EscalateAfter: 5 * time.Minute,
		Now: f.clock.Now, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	var wg sync.WaitGroup
	wg.Go(func() { outbox.Run(ctx) })
	wg.Go(func() { svc.Run(ctx, time.Hour) })
	f.stop = sync.OnceFunc(func() { cancel(); wg.Wait(); _ = st.Close() })
	t.Cleanup(f.stop)
	return f
}

func panic1120(key string) alarm.Event {
	now := time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC)
	return alarm.Event{Site: "joliette", Account: "1234", Kind: alarm.KindPanic, Opens: true, Source: "dc09-tcp",
		OccurredAt: now, ReceivedAt: now, Code: "CID 1120 01 015", Zone: "015", Raw: "frame", DedupeKey: key}
}

// tokenOf takes the token out of a mail's link.
func tokenOf(t *testing.T, text string) (string, string) {
	t.Helper()
	i := strings.Index(text, "https://vigie.test:8443/room/")
	if i < 0 {
		t.Fatalf("no link in mail:\n%s", text)
	}
	raw := strings.Fields(text[i:])[0]
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(u.Path, "/room/"), u.Query().Get("t")
}

func TestAlarmOpensIncidentAndInvitesCommittee(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	open, _ := f.store.OpenIncidents(ctx)
	if len(open) != 1 {
		t.Fatalf("%d incidents open", len(open))
	}
	inc := open[0]
	if cams := f.cams.rooms[inc.Room]; len(cams) != 1 || cams[0] != "entree" {
		t.Fatalf("room shows %v", cams)
	}
	// Site committee (dupont, lee) then global (cdt; dupont once).
	mails := f.mail.wait(t, 3)
	roles := map[string]string{}
	for _, m := range mails {
		room, tok := tokenOf(t, m.Text)
		claims, err := f.signer.Verify(tok, room)
		if err != nil || room != inc.Room {
			t.Fatalf("link of %s: room %s, %v", m.To, room, err)
		}
		if err := f.svc.CheckAccess(ctx, claims); err != nil {
			t.Fatalf("fresh link refused: %v", err)
		}
		roles[m.To] = claims.Role
	}
	want := map[string]string{"dupont@police.example": "responder", "lee@example.org": "observer", "cdt@sdis.example": "committee"}
	for to, role := range want {
		if roles[to] != role {
			t.Fatalf("roles %v, want %v", roles, want)
		}
	}

	// Another alarm and a retransmission join the incident; nobody is mailed again.
	if err := f.svc.Alarm(ctx, panic1120("k2")); err != nil {
		t.Fatal(err)
	}
	out, err := f.svc.Raise(ctx, "joliette", alarm.KindHoldup, "operator", "")
	if err != nil || out.Opened || out.Incident.ID != inc.ID {
		t.Fatalf("operator's alarm: %+v, %v", out, err)
	}
	if err := f.svc.Alarm(ctx, panic1120("k2")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.mail.wait(t, 3)); n != 3 {
		t.Fatalf("%d mails", n)
	}
	// Sent statuses reach the invitations.
	deadline := time.Now().Add(10 * time.Second)
	for {
		invs, _ := f.store.Invitations(ctx, inc.ID)
		sent := 0
		for _, inv := range invs {
			if inv.State == store.InvitationSent {
				sent++
			}
		}
		if sent == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("invitations %+v", invs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	entries, _ := f.store.Timeline(ctx, inc.ID)
	if err := store.VerifyChain(entries); err != nil {
		t.Fatal(err)
	}
}

func TestEscalationWhenNobodyJoins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	f.mail.wait(t, 3)
	f.clock.Add(4 * time.Minute)
	if err := f.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.invitations(t); n != 3 {
		t.Fatalf("escalated too early: %d invitations", n)
	}
	f.clock.Add(2 * time.Minute)
	if err := f.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	mails := f.mail.wait(t, 4)
	if mails[3].To != "prefet@example.gouv" {
		t.Fatalf("escalation mailed %s", mails[3].To)
	}
	if err := f.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.invitations(t); n != 4 {
		t.Fatalf("escalated twice: %d invitations", n)
	}
}

// invitations counts the invitations of the one open incident: each is
// stored before its mail is queued, so the count is final when the call
// that made them returns.
func (f *fixture) invitations(t *testing.T) int {
	t.Helper()
	open, err := f.store.OpenIncidents(context.Background())
	if err != nil || len(open) != 1 {
		t.Fatalf("open incidents %v, %v", open, err)
	}
	invs, err := f.store.Invitations(context.Background(), open[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(invs)
}

func TestNoEscalationOnceSomeoneJoined(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	mails := f.mail.wait(t, 3)
	room, tok := tokenOf(t, mails[0].Text)
	claims, _ := f.signer.Verify(tok, room)
	f.svc.Opened(ctx, claims, "Mozilla/5.0 (scanner)")
	f.svc.Joined(ctx, claims)
	f.clock.Add(10 * time.Minute)
	if err := f.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.invitations(t); n != 3 {
		t.Fatalf("escalated although someone joined: %d invitations", n)
	}
}

func TestRevokeAndCloseEndLinks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	mails := f.mail.wait(t, 3)
	var claims []token.Claims
	for _, m := range mails {
		room, tok := tokenOf(t, m.Text)
		c, _ := f.signer.Verify(tok, room)
		claims = append(claims, c)
	}
	if err := f.svc.Revoke(ctx, claims[0].Subject, "operator"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckAccess(ctx, claims[0]); err != ErrRevoked {
		t.Fatalf("revoked link: %v", err)
	}
	if d := f.svc.Describe(ctx, claims[1]); d["site"] != "Bureau de poste de Joliette" || d["kind"] != "panic" {
		t.Fatalf("describe %v", d)
	}
	open, _ := f.store.OpenIncidents(ctx)
	if err := f.svc.Close(ctx, open[0].ID, "operator"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.CheckAccess(ctx, claims[1]); err != ErrClosed {
		t.Fatalf("link of a closed incident: %v", err)
	}
	if len(f.cams.rooms) != 0 {
		t.Fatalf("cameras still shown: %v", f.cams.rooms)
	}
	// A hand-made room's token is not an invitation: it passes.
	if err := f.svc.CheckAccess(ctx, token.Claims{Room: "r", Subject: "p_x", Role: token.RoleParticipant}); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownSiteAndRestoreOpenNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	restore := panic1120("k1")
	restore.Kind, restore.Opens = alarm.KindRestore, false
	unknown := panic1120("k2")
	unknown.Site = ""
	for _, e := range []alarm.Event{restore, unknown} {
		if err := f.svc.Alarm(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if open, _ := f.store.OpenIncidents(ctx); len(open) != 0 {
		t.Fatalf("%d incidents opened", len(open))
	}
	if _, err := f.svc.Raise(ctx, "nowhere", alarm.KindHoldup, "operator", ""); err == nil {
		t.Fatal("raised an alarm for an unknown site")
	}
}

func TestOperatorInvitesAnAddress(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	f.mail.wait(t, 3)
	open, _ := f.store.OpenIncidents(ctx)
	id := open[0].ID
	extra := config.Contact{Email: "renfort@police.example", Name: "Renfort", Role: "observer", Language: "en"}
	if err := f.svc.Invite(ctx, id, extra); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Invite(ctx, id, extra); err != nil {
		t.Fatal(err)
	}
	mails := f.mail.wait(t, 4)
	room, tok := tokenOf(t, mails[3].Text)
	claims, err := f.signer.Verify(tok, room)
	if err != nil || mails[3].To != "renfort@police.example" || claims.Role != "observer" {
		t.Fatalf("mail to %s, claims %+v, %v", mails[3].To, claims, err)
	}
	if n := f.invitations(t); n != 4 {
		t.Fatalf("the same address invited twice: %d invitations", n)
	}
	for _, bad := range []config.Contact{{Email: "not an address"}, {Email: "x@example.org", Role: "operator"}} {
		if err := f.svc.Invite(ctx, id, bad); err == nil {
			t.Fatalf("accepted %+v", bad)
		}
	}
	if err := f.svc.Close(ctx, id, "operator"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Invite(ctx, id, config.Contact{Email: "late@example.org"}); err != ErrClosed {
		t.Fatalf("invite into a closed incident: %v", err)
	}
}
