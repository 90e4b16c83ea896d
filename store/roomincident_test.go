package store

import (
	"context"
	"errors"
	"testing"
)

func TestOpenIncidentOfRoom(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	inc, room := newIncident("i_1", "joliette", 0)
	if _, err := s.RecordAlarm(ctx, alarmAt("k1", "joliette", true, 0), inc, room); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRoom(ctx, Room{ID: "r_hand", Name: "by hand", CreatedAt: at(0)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, room string
		want       string // incident id, "" for ErrNotFound
	}{
		{"open incident", "r_i_1", "i_1"},
		{"room made by hand", "r_hand", ""},
		{"unknown room", "r_none", ""},
	}
	for _, tt := range tests {
		got, err := s.OpenIncidentOfRoom(ctx, tt.room)
		if tt.want == "" && !errors.Is(err, ErrNotFound) || tt.want != "" && (err != nil || got.ID != tt.want) {
			t.Errorf("%s: %+v, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	if err := s.CloseIncident(ctx, "i_1", at(5), "operator"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenIncidentOfRoom(ctx, "r_i_1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("closed incident's room: %v, want not found", err)
	}
}
