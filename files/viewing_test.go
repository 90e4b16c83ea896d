package files

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"vigie/store"
)

// Close writes every record queued before it; later ones are refused.
func TestViewingLogClose(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &env{t: t, db: db}
	room := e.room(false)
	v := NewViewingLog(db, slog.New(slog.DiscardHandler))
	const n = 50
	for i := range n {
		v.CameraWatch(room, "p1", "Alice", "entree", i%2 == 0)
	}
	v.Close()
	v.CameraWatch(room, "p1", "Alice", "entree", true)
	v.Close() // twice is fine
	log, err := db.AccessLog(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != n {
		t.Fatalf("%d records, want %d", len(log), n)
	}
	if log[0].Kind != "camera_watch_started" || log[1].Kind != "camera_watch_stopped" || log[0].Subject != "entree" || log[0].ActorName != "Alice" {
		t.Fatalf("records %+v %+v", log[0], log[1])
	}
}
