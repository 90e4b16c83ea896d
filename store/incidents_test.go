package store

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func alarmAt(key, site string, opens bool, minute int) Alarm {
	return Alarm{ID: key + "-" + string(rune('a'+minute)), DedupeKey: key, DedupeSince: at(minute - 60), Site: site, Kind: "panic", Source: "dc09-tcp", Code: "CID 1120 01 015",
		OccurredAt: at(minute), ReceivedAt: at(minute), Raw: "frame " + key, Opens: opens}
}

func newIncident(id, site string, minute int) (Incident, Room) {
	room := Room{ID: "r_" + id, Name: site, CreatedAt: at(minute), Cameras: []string{"entree"}}
	return Incident{ID: id, Site: site, Room: room.ID, Kind: "panic", Source: "dc09-tcp", OpenedAt: at(minute)}, room
}

func TestAlarmsOpenJoinAndDeduplicate(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	inc, room := newIncident("i_1", "joliette", 0)

	out, err := s.RecordAlarm(ctx, alarmAt("k1", "joliette", true, 0), inc, room)
	if err != nil || !out.Opened || out.Incident.ID != "i_1" {
		t.Fatalf("first alarm: %+v, %v", out, err)
	}
	if r, err := s.Room(ctx, "r_i_1"); err != nil || len(r.Cameras) != 1 {
		t.Fatalf("incident room %+v, %v", r, err)
	}
	// A second alarm for the site joins the open incident.
	other, otherRoom := newIncident("i_2", "joliette", 1)
	out, err = s.RecordAlarm(ctx, alarmAt("k2", "joliette", true, 1), other, otherRoom)
	if err != nil || out.Opened || out.Incident.ID != "i_1" {
		t.Fatalf("second alarm: %+v, %v", out, err)
	}
	// A retransmission changes nothing.
	out, err = s.RecordAlarm(ctx, alarmAt("k2", "joliette", true, 2), other, otherRoom)
	if err != nil || !out.Duplicate || out.Incident.ID != "i_1" {
		t.Fatalf("retransmission: %+v, %v", out, err)
	}
	// The same key hours later is a new alarm (a panel's sequence wrapped).
	late := alarmAt("k2", "joliette", true, 2)
	late.ID, late.DedupeSince, late.ReceivedAt = "k2-late", at(300), at(400)
	if out, err = s.RecordAlarm(ctx, late, other, otherRoom); err != nil || out.Duplicate {
		t.Fatalf("same key much later: %+v, %v", out, err)
	}
	// A restore on a site without incident opens nothing.
	none, noneRoom := newIncident("i_3", "gare", 3)
	out, err = s.RecordAlarm(ctx, alarmAt("k3", "gare", false, 3), none, noneRoom)
	if err != nil || out.Opened || out.Incident.ID != "" {
		t.Fatalf("restore: %+v, %v", out, err)
	}
	entries, err := s.Timeline(ctx, "i_1")
	if err != nil {
		t.Fatal(err)
	}
	kinds := ""
	for _, e := range entries {
		kinds += e.Kind + " "
	}
	if kinds != "alarm incident_opened alarm alarm " {
		t.Fatalf("timeline %q", kinds)
	}
	if err := VerifyChain(entries); err != nil {
		t.Fatal(err)
	}

	if err := s.CloseIncident(ctx, "i_1", at(10), "operator"); err != nil {
		t.Fatal(err)
	}
	if r, _ := s.Room(ctx, "r_i_1"); r.ClosedAt == nil {
		t.Fatal("incident closed, room still open")
	}
	// Once closed, a new alarm opens a new incident.
	out, err = s.RecordAlarm(ctx, alarmAt("k4", "joliette", true, 11), other, otherRoom)
	if err != nil || !out.Opened || out.Incident.ID != "i_2" {
		t.Fatalf("alarm after close: %+v, %v", out, err)
	}
	if open, _ := s.OpenIncidents(ctx); len(open) != 1 || open[0].ID != "i_2" {
		t.Fatalf("open incidents %+v", open)
	}
}

func TestSimultaneousAlarmsOpenOneIncident(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	opened := make(chan string, 10)
	for i := range 10 {
		wg.Go(func() {
			id := string(rune('a' + i))
			inc, room := newIncident("i_"+id, "joliette", 0)
			out, err := s.RecordAlarm(ctx, alarmAt("k"+id, "joliette", true, 0), inc, room)
			if err != nil {
				t.Error(err)
			}
			if out.Opened {
				opened <- out.Incident.ID
			}
		})
	}
	wg.Wait()
	close(opened)
	if n := len(opened); n != 1 {
		t.Fatalf("%d incidents opened for one site", n)
	}
}

func TestTimelineChainDetectsTampering(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	inc, room := newIncident("i_1", "joliette", 0)
	if _, err := s.RecordAlarm(ctx, alarmAt("k1", "joliette", true, 0), inc, room); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Append(ctx, Entry{Incident: "i_1", At: at(i + 1), Kind: "chat", Actor: "dupont", Detail: map[string]string{"text": "msg"}}); err != nil {
			t.Fatal(err)
		}
	}
	good, _ := s.Timeline(ctx, "i_1")
	if err := VerifyChain(good); err != nil {
		t.Fatal(err)
	}
	altered := append([]Entry(nil), good...)
	altered[2].Detail = map[string]string{"text": "autre"}
	removed := append(append([]Entry(nil), good[:2]...), good[3:]...)
	for name, list := range map[string][]Entry{"altered": altered, "removed": removed} {
		if err := VerifyChain(list); err == nil {
			t.Fatalf("%s entry not detected", name)
		}
	}
}

func TestInvitations(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	inc, room := newIncident("i_1", "joliette", 0)
	if _, err := s.RecordAlarm(ctx, alarmAt("k1", "joliette", true, 0), inc, room); err != nil {
		t.Fatal(err)
	}
	list := []Invitation{
		{ID: "v1", Incident: "i_1", Contact: "dupont", Name: "Dupont", Email: "d@example.org", Role: "responder", Lang: "fr", List: "committee", CreatedAt: at(1)},
		{ID: "v2", Incident: "i_1", Contact: "lee", Name: "Lee", Email: "l@example.org", Role: "observer", Lang: "en", List: "committee", CreatedAt: at(1)},
	}
	created, err := s.CreateInvitations(ctx, list)
	if err != nil || len(created) != 2 {
		t.Fatalf("created %d, %v", len(created), err)
	}
	again, err := s.CreateInvitations(ctx, []Invitation{{ID: "v3", Incident: "i_1", Contact: "dupont", CreatedAt: at(2)}})
	if err != nil || len(again) != 0 {
		t.Fatalf("a contact invited twice: %d, %v", len(again), err)
	}
	steps := []struct{ state, want string }{
		{InvitationSent, InvitationSent},
		{InvitationOpened, InvitationOpened},
		{InvitationJoined, InvitationJoined},
		{InvitationOpened, InvitationJoined}, // opening the link again after joining
		{InvitationSent, InvitationJoined},   // a late retry report
		{InvitationRevoked, InvitationRevoked},
		{InvitationJoined, InvitationRevoked}, // revoked stays revoked
	}
	for i, st := range steps {
		if err := s.MarkInvitation(ctx, "v1", st.state, at(3+i), "system", nil); err != nil {
			t.Fatal(err)
		}
		inv, err := s.Invitation(ctx, "v1")
		if err != nil || inv.State != st.want {
			t.Fatalf("step %d (%s): state %q, want %q (%v)", i, st.state, inv.State, st.want, err)
		}
	}
	inv, _ := s.Invitation(ctx, "v1")
	if inv.OpenedAt == nil || !inv.OpenedAt.Equal(stored(at(4))) || inv.JoinedAt == nil || inv.RevokedAt == nil {
		t.Fatalf("times %+v", inv)
	}
	if err := s.MarkInvitation(ctx, "nope", InvitationSent, at(1), "system", nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown invitation: %v", err)
	}
	entries, _ := s.Timeline(ctx, "i_1")
	if err := VerifyChain(entries); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Invitations(ctx, "i_1"); len(all) != 2 {
		t.Fatalf("%d invitations", len(all))
	}
}
