package store

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

func outboxMessage(id, incident string, minute int) OutboxMessage {
	return OutboxMessage{
		ID: id, IncidentID: incident, ContactID: "c-" + id, Address: id + "@police.example",
		Name: "Capitaine " + id, Lang: "fr", Subject: "[ALERTE] Agression — Lyon 3",
		Text: "https://vigie.example/j/" + id, HTML: "<p>" + id + "</p>", CreatedAt: at(minute),
	}
}

func enqueue(t *testing.T, s *Store, msgs ...OutboxMessage) {
	t.Helper()
	if err := s.EnqueueMessages(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
}

// messageByID reads one message back through IncidentMessages.
func messageByID(t *testing.T, s *Store, incident, id string) OutboxMessage {
	t.Helper()
	msgs, err := s.IncidentMessages(t.Context(), incident)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %q not in incident %q", id, incident)
	return OutboxMessage{}
}

func ids(msgs []OutboxMessage) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID)
	}
	return out
}

func TestOutboxRoundTrip(t *testing.T) {
	s := openTest(t)
	in := outboxMessage("m1", "i1", 0)
	in.State, in.Attempts, in.LastError = OutboxSent, 7, "ignored"
	enqueue(t, s, in)

	got := messageByID(t, s, "i1", "m1")
	want := in
	want.State, want.Attempts, want.LastError = OutboxQueued, 0, ""
	want.CreatedAt = stored(in.CreatedAt)
	want.UpdatedAt = stored(in.CreatedAt)
	want.NextAttemptAt = ptr(stored(in.CreatedAt))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored message\n got %+v\nwant %+v", got, want)
	}
}

func TestEnqueueKeepsTheFirst(t *testing.T) {
	s := openTest(t)
	first := outboxMessage("m1", "i1", 0)
	enqueue(t, s, first)
	if err := s.MarkSent(t.Context(), "m1", at(1)); err != nil {
		t.Fatal(err)
	}
	again := outboxMessage("m1", "i1", 2)
	again.Subject = "another subject"
	enqueue(t, s, again, outboxMessage("m2", "i1", 2))

	got, err := s.IncidentMessages(t.Context(), "i1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Subject != first.Subject || got[0].State != OutboxSent {
		t.Errorf("after enqueueing m1 again: %+v, want the first m1, sent, and m2", got)
	}
}

func TestEnqueueAllOrNone(t *testing.T) {
	s := openTest(t)
	bad := outboxMessage("m2", "i1", 0)
	bad.Address = ""
	err := s.EnqueueMessages(t.Context(), []OutboxMessage{outboxMessage("m1", "i1", 0), bad})
	if err == nil {
		t.Fatal("enqueueing a message without address succeeded")
	}
	if got, _ := s.IncidentMessages(t.Context(), "i1"); len(got) != 0 {
		t.Errorf("a failed enqueue stored %v", ids(got))
	}
}

func TestDueMessages(t *testing.T) {
	s := openTest(t)
	later := outboxMessage("later", "i1", 0)
	later.NextAttemptAt = ptr(at(30))
	enqueue(t, s, outboxMessage("b", "i1", 5), outboxMessage("a", "i2", 5), outboxMessage("first", "i1", 1), later)
	if err := s.MarkSent(t.Context(), "first", at(6)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		now   int
		limit int
		want  []string
	}{
		{now: 0, limit: 10, want: nil},
		{now: 5, limit: 10, want: []string{"a", "b"}},
		{now: 5, limit: 1, want: []string{"a"}},
		{now: 59, limit: 10, want: []string{"a", "b", "later"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("minute %d limit %d", tt.now, tt.limit), func(t *testing.T) {
			got, err := s.DueMessages(t.Context(), at(tt.now), tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) {
				t.Errorf("due = %v, want %v", ids(got), tt.want)
			}
		})
	}
}

func TestMarkFailedRetriesThenGivesUp(t *testing.T) {
	s := openTest(t)
	enqueue(t, s, outboxMessage("m1", "i1", 0))
	if err := s.MarkFailed(t.Context(), "m1", at(1), "421 try later", ptr(at(3))); err != nil {
		t.Fatal(err)
	}
	m := messageByID(t, s, "i1", "m1")
	if m.State != OutboxRetrying || m.Attempts != 1 || m.LastError != "421 try later" ||
		m.NextAttemptAt == nil || !m.NextAttemptAt.Equal(stored(at(3))) || !m.UpdatedAt.Equal(stored(at(1))) {
		t.Errorf("after a temporary failure: %+v", m)
	}
	if due, _ := s.DueMessages(t.Context(), at(2), 10); len(due) != 0 {
		t.Errorf("due before its retry time: %v", ids(due))
	}
	if err := s.MarkFailed(t.Context(), "m1", at(3), "550 no such user", nil); err != nil {
		t.Fatal(err)
	}
	m = messageByID(t, s, "i1", "m1")
	if m.State != OutboxFailed || m.Attempts != 2 || m.NextAttemptAt != nil || m.LastError != "550 no such user" {
		t.Errorf("after giving up: %+v", m)
	}
	if due, _ := s.DueMessages(t.Context(), at(59), 10); len(due) != 0 {
		t.Errorf("a failed message is due again: %v", ids(due))
	}
}

func TestMarkSent(t *testing.T) {
	s := openTest(t)
	enqueue(t, s, outboxMessage("m1", "i1", 0))
	if err := s.MarkFailed(t.Context(), "m1", at(1), "421 busy", ptr(at(2))); err != nil {
		t.Fatal(err)
	}
	for _, minute := range []int{2, 4} { // the second one changes nothing
		if err := s.MarkSent(t.Context(), "m1", at(minute)); err != nil {
			t.Fatal(err)
		}
	}
	m := messageByID(t, s, "i1", "m1")
	if m.State != OutboxSent || m.Attempts != 2 || m.SentAt == nil || !m.SentAt.Equal(stored(at(2))) ||
		m.NextAttemptAt != nil || m.LastError != "" {
		t.Errorf("after sending: %+v", m)
	}
	// A late failure report does not undo a sent message.
	if err := s.MarkFailed(t.Context(), "m1", at(5), "timeout", nil); err != nil {
		t.Fatal(err)
	}
	if m := messageByID(t, s, "i1", "m1"); m.State != OutboxSent {
		t.Errorf("a failure after sending changed the state to %q", m.State)
	}
}

func TestCancelMessages(t *testing.T) {
	s := openTest(t)
	enqueue(t, s, outboxMessage("sent", "i1", 0), outboxMessage("queued", "i1", 0),
		outboxMessage("retrying", "i1", 0), outboxMessage("other", "i2", 0))
	if err := s.MarkSent(t.Context(), "sent", at(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkFailed(t.Context(), "retrying", at(1), "421 busy", ptr(at(5))); err != nil {
		t.Fatal(err)
	}
	cancelled, err := s.CancelMessages(t.Context(), "i1", at(2), "incident closed")
	if err != nil {
		t.Fatal(err)
	}
	got := ids(cancelled)
	slices.Sort(got)
	if !slices.Equal(got, []string{"queued", "retrying"}) {
		t.Errorf("cancelled %v, want queued and retrying", got)
	}
	for _, m := range cancelled {
		if m.State != OutboxFailed || m.LastError != "incident closed" || m.NextAttemptAt != nil {
			t.Errorf("cancelled message %+v", m)
		}
	}
	// A retry reported after the cancel does not bring the message back.
	if err := s.MarkFailed(t.Context(), "retrying", at(3), "421 busy", ptr(at(6))); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueMessages(t.Context(), at(59), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(due), []string{"other"}) {
		t.Errorf("due after cancelling i1: %v, want only i2's message", ids(due))
	}
	if m := messageByID(t, s, "i1", "sent"); m.State != OutboxSent {
		t.Errorf("cancel changed a sent message to %q", m.State)
	}
}

func TestOutboxUnknownMessage(t *testing.T) {
	s := openTest(t)
	if err := s.MarkSent(t.Context(), "nope", at(0)); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkSent(unknown) = %v, want ErrNotFound", err)
	}
	if err := s.MarkFailed(t.Context(), "nope", at(0), "x", nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("MarkFailed(unknown) = %v, want ErrNotFound", err)
	}
	if got, err := s.CancelMessages(t.Context(), "nope", at(0), "closed"); err != nil || len(got) != 0 {
		t.Errorf("CancelMessages(unknown incident) = %v, %v; want nothing", got, err)
	}
}
