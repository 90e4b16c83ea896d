package incident

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorderLog records the recorder's calls.
type recorderLog struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorderLog) Start(id string, cams []string, alarmAt time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := "restart"
	if !alarmAt.IsZero() {
		at = alarmAt.UTC().Format(time.RFC3339)
	}
	r.calls = append(r.calls, fmt.Sprintf("start %s %v %s", id, cams, at))
}

func (r *recorderLog) Stop(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, "stop "+id)
}

func (r *recorderLog) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

// An incident records its site's cameras from the alarm (once, whatever
// the number of alarms) to its close; after a restart the open ones
// record again, without a pre-alarm clip.
func TestIncidentRecordsCameras(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "vigie.db")
	now := &clock{now: time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC)}
	before := newFixtureAt(t, path, now)
	rec := &recorderLog{}
	before.svc.cfg.Recorder = rec
	if err := before.svc.Alarm(ctx, panic1120("k1")); err != nil {
		t.Fatal(err)
	}
	if err := before.svc.Alarm(ctx, panic1120("k2")); err != nil { // joins the open incident
		t.Fatal(err)
	}
	open, err := before.store.OpenIncidents(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open incidents %v, %v", open, err)
	}
	id := open[0].ID
	want := []string{"start " + id + " [entree] 2026-11-28T14:02:00Z"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Fatalf("recorder calls %q, want %q", got, want)
	}
	before.stop()

	after := newFixtureAt(t, path, now)
	after.svc.cfg.Recorder = rec
	if err := after.svc.ResumeRecordings(ctx); err != nil {
		t.Fatal(err)
	}
	if err := after.svc.Close(ctx, id, "operator"); err != nil {
		t.Fatal(err)
	}
	if err := after.svc.ResumeRecordings(ctx); err != nil { // nothing open any more
		t.Fatal(err)
	}
	want = append(want, "start "+id+" [entree] restart", "stop "+id)
	if got := rec.got(); !slices.Equal(got, want) {
		t.Fatalf("recorder calls %q, want %q", got, want)
	}
}
