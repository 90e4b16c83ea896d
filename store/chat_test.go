package store

import (
	"context"
	"fmt"
	"testing"
)

func TestChatHistoryInOrderAndOnTheIncidentTimeline(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	inc, room := newIncident("i_chat", "joliette", 0)
	if _, err := s.RecordAlarm(ctx, alarmAt("k1", "joliette", true, 0), inc, room); err != nil {
		t.Fatal(err)
	}
	plain := Room{ID: "r_plain", Name: "Exercice", CreatedAt: at(0)}
	if err := s.CreateRoom(ctx, plain); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		for _, r := range []string{room.ID, plain.ID} {
			m, err := s.AppendChat(ctx, ChatMessage{Room: r, ID: fmt.Sprintf("m_%s_%d", r, i), At: at(i), FromID: "p_1", FromName: "Anne", Text: fmt.Sprint("texte ", i)})
			if err != nil {
				t.Fatal(err)
			}
			if m.Seq != int64(i+1) {
				t.Fatalf("room %s message %d: seq %d", r, i, m.Seq)
			}
		}
	}
	if _, err := s.AppendChat(ctx, ChatMessage{Room: plain.ID, ID: "m_r_plain_0", At: at(9), FromID: "p_1", Text: "again"}); err == nil {
		t.Fatal("a message id stored twice was accepted")
	}
	tests := []struct {
		name      string
		room      string
		after     int64
		limit     int
		wantFirst int64
		wantLen   int
	}{
		{"all", plain.ID, 0, 500, 1, 5},
		{"bounded keeps the last", plain.ID, 0, 2, 4, 2},
		{"after a position", room.ID, 3, 500, 4, 2},
		{"nothing new", room.ID, 5, 500, 0, 0},
		{"unknown room", "r_none", 0, 500, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list, err := s.ChatHistory(ctx, tc.room, tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != tc.wantLen {
				t.Fatalf("%d messages, want %d", len(list), tc.wantLen)
			}
			for i, m := range list {
				if m.Seq != tc.wantFirst+int64(i) || m.Text != fmt.Sprint("texte ", m.Seq-1) {
					t.Fatalf("message %d: %+v", i, m)
				}
			}
		})
	}
	entries, err := s.Timeline(ctx, inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyChain(entries); err != nil {
		t.Fatal(err)
	}
	chats := 0
	for _, e := range entries {
		if e.Kind == "chat" {
			if e.Detail["text"] != fmt.Sprint("texte ", chats) || e.Actor != "p_1" {
				t.Fatalf("timeline chat entry %+v", e)
			}
			chats++
		}
	}
	if chats != 5 {
		t.Fatalf("%d chat entries on the incident's timeline, want 5", chats)
	}
}
