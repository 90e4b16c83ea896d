package incident

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"vigie/store"
)

// A server that stops in the middle of an incident finds it again on the
// same data: the incident, its room and cameras, the invitations (whose
// links still open the room), the chat, and the escalation still due.
func TestRestartRestoresIncidentInvitationsAndEscalation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	now := &clock{now: time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC)}
	ctx := context.Background()

	before := newFixtureAt(t, path, now)
	if err := before.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	mails := before.mail.wait(t, 3)
	open, _ := before.store.OpenIncidents(ctx)
	if len(open) != 1 {
		t.Fatalf("%d incidents open", len(open))
	}
	inc := open[0]
	if _, err := before.store.AppendChat(ctx, store.ChatMessage{Room: inc.Room, ID: "m_1", At: now.Now(), FromID: "o_1", FromName: "Opérateur", Text: "Patrouille en route"}); err != nil {
		t.Fatal(err)
	}
	now.Add(3 * time.Minute)
	before.stop()

	// A minute later (four after the alarm) the server is back.
	now.Add(time.Minute)
	after := newFixtureAt(t, path, now)
	open, err := after.store.OpenIncidents(ctx)
	if err != nil || len(open) != 1 || open[0].ID != inc.ID || open[0].Room != inc.Room {
		t.Fatalf("open incidents after restart %+v, %v", open, err)
	}
	rooms, err := after.store.OpenRooms(ctx)
	if err != nil || len(rooms) != 1 || rooms[0].ID != inc.Room || len(rooms[0].Cameras) != 1 {
		t.Fatalf("open rooms after restart %+v, %v", rooms, err)
	}
	for _, m := range mails {
		room, tok := tokenOf(t, m.Text)
		claims, err := after.signer.Verify(tok, room)
		if err != nil {
			t.Fatalf("link of %s after restart: %v", m.To, err)
		}
		if err := after.svc.CheckAccess(ctx, claims); err != nil {
			t.Fatalf("link of %s refused after restart: %v", m.To, err)
		}
	}
	if chat, err := after.store.ChatHistory(ctx, inc.Room, 0, 500); err != nil || len(chat) != 1 || chat[0].Text != "Patrouille en route" {
		t.Fatalf("chat after restart %+v, %v", chat, err)
	}
	if n := after.invitations(t); n != 3 {
		t.Fatalf("%d invitations after restart, want 3", n)
	}
	// The escalation counts from the alarm, not from the restart: not due
	// at four minutes, due at six since nobody joined.
	if err := after.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if n := after.invitations(t); n != 3 {
		t.Fatalf("escalated early after restart: %d invitations", n)
	}
	now.Add(2 * time.Minute)
	if err := after.svc.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	escalated := after.mail.wait(t, 1)
	if escalated[0].To != "prefet@example.gouv" {
		t.Fatalf("escalation mailed %s", escalated[0].To)
	}
	if n := after.invitations(t); n != 4 {
		t.Fatalf("%d invitations after the escalation, want 4", n)
	}
	entries, err := after.store.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.VerifyChain(entries); err != nil {
		t.Fatalf("timeline across the restart: %v", err)
	}
}
