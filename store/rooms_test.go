package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"
)

// at returns a time with nanoseconds and a non-UTC zone, to check that the
// store normalises both.
func at(minute int) time.Time {
	paris := time.FixedZone("CET", 3600)
	return time.Date(2025, 3, 14, 10, minute, 7, 123456789, paris)
}

func stored(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func ptr[T any](v T) *T { return &v }

func TestRoomRoundTrip(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		name string
		room Room
	}{
		{"open", Room{ID: "r1", Name: "Bureau de poste Lyon 3", CreatedAt: at(0)}},
		{"closed", Room{ID: "r2", Name: "", CreatedAt: at(1), ClosedAt: ptr(at(2))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.CreateRoom(t.Context(), tt.room); err != nil {
				t.Fatal(err)
			}
			got, err := s.Room(t.Context(), tt.room.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.room
			want.CreatedAt = stored(want.CreatedAt)
			if want.ClosedAt != nil {
				want.ClosedAt = ptr(stored(*want.ClosedAt))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Room = %+v, want %+v", got, want)
			}
		})
	}
}

func TestRoomErrors(t *testing.T) {
	s := openTest(t)
	if err := s.CreateRoom(t.Context(), Room{ID: "r1", CreatedAt: at(0)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		call         func() error
		wantNotFound bool
	}{
		{"missing room", func() error { _, err := s.Room(t.Context(), "nope"); return err }, true},
		{"close missing room", func() error { return s.CloseRoom(t.Context(), "nope", at(1)) }, true},
		{"duplicate id", func() error { return s.CreateRoom(t.Context(), Room{ID: "r1", CreatedAt: at(0)}) }, false},
		{"empty id", func() error { return s.CreateRoom(t.Context(), Room{CreatedAt: at(0)}) }, false},
		{"no creation time", func() error { return s.CreateRoom(t.Context(), Room{ID: "r9"}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("want an error")
			}
			if errors.Is(err, ErrNotFound) != tt.wantNotFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !tt.wantNotFound, tt.wantNotFound)
			}
		})
	}
}

func TestOpenAndCloseRooms(t *testing.T) {
	s := openTest(t)
	// Creation times whose fractional parts differ in length as decimals,
	// to check that stored text sorts in time order.
	base := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	for id, offset := range map[string]time.Duration{
		"c": 2 * time.Second, "a": 500 * time.Millisecond, "b": 1250 * time.Millisecond, "d": 3 * time.Second,
	} {
		if err := s.CreateRoom(t.Context(), Room{ID: id, CreatedAt: base.Add(offset)}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		close string
		want  []string
	}{
		{"", []string{"a", "b", "c", "d"}},
		{"b", []string{"a", "c", "d"}},
		{"b", []string{"a", "c", "d"}}, // closing twice is harmless
		{"d", []string{"a", "c"}},
	}
	for i, step := range steps {
		if step.close != "" {
			if err := s.CloseRoom(t.Context(), step.close, base.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatalf("step %d: CloseRoom(%s): %v", i, step.close, err)
			}
		}
		rooms, err := s.OpenRooms(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rooms {
			ids = append(ids, r.ID)
		}
		if !reflect.DeepEqual(ids, step.want) {
			t.Errorf("step %d: open rooms %v, want %v", i, ids, step.want)
		}
	}
	b, err := s.Room(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	if want := base.Add(time.Minute); b.ClosedAt == nil || !b.ClosedAt.Equal(want) {
		t.Errorf("room b closed at %v, want the first close time %v", b.ClosedAt, want)
	}
}

func TestRoomCameras(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	r := Room{ID: "r_cam", Name: "Agence", CreatedAt: at(0), Cameras: []string{"entree", "guichet", "cour"}}
	if err := s.CreateRoom(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Room(ctx, "r_cam")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Cameras, r.Cameras) {
		t.Fatalf("cameras %v, want %v in order", got.Cameras, r.Cameras)
	}
	open, err := s.OpenRooms(ctx)
	if err != nil || len(open) != 1 || !reflect.DeepEqual(open[0].Cameras, r.Cameras) {
		t.Fatalf("open rooms %+v, %v", open, err)
	}
	dup := Room{ID: "r_dup", Name: "x", CreatedAt: at(1), Cameras: []string{"a", "a"}}
	if err := s.CreateRoom(ctx, dup); err == nil {
		t.Fatal("a camera listed twice was accepted")
	}
	if _, err := s.Room(ctx, "r_dup"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("failed creation left a room behind: %v", err)
	}
}
