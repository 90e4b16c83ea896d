package evidence

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"vigie/store"
)

func TestRetentionPurgesOnlyWhatIsDue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	now := t0.Add(40 * 24 * time.Hour)
	old, recent := t0.Add(time.Hour), now.Add(-5*24*time.Hour)
	f.incident(t, "i_old", t0, &old)
	f.incident(t, "i_held", t0, &old)
	f.incident(t, "i_open", t0, nil)
	f.incident(t, "i_recent", t0, &recent)
	justDue := now.Add(-30 * 24 * time.Hour)
	f.incident(t, "i_edge", t0, &justDue)
	if err := f.st.Hold(ctx, store.LegalHold{Incident: "i_held", Reason: "réquisition judiciaire 2026/123", By: "admin", At: old.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	clock := now
	rt := &Retention{Store: f.st, RecordingsDir: filepath.Join(f.dataDir, "recordings"), FilesDir: filepath.Join(f.dataDir, "files"),
		After: 30 * 24 * time.Hour, Now: func() time.Time { return clock }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}

	purged, err := rt.PurgeDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(purged)
	if !slices.Equal(purged, []string{"i_edge", "i_old"}) {
		t.Fatalf("purged %q, want i_edge and i_old", purged)
	}
	for id, gone := range map[string]bool{"i_old": true, "i_edge": true, "i_held": false, "i_open": false, "i_recent": false} {
		_, err := os.Stat(filepath.Join(f.dataDir, "recordings", id))
		if gone != errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: recordings gone = %v, want %v", id, !gone, gone)
		}
		chat, err := f.st.ChatHistory(ctx, "r_"+id, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if gone != (len(chat) == 0) {
			t.Errorf("%s: %d chat messages left", id, len(chat))
		}
		tl, err := f.st.Timeline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if err := store.VerifyChain(tl); err != nil {
			t.Errorf("%s: %v", id, err)
		}
		last := tl[len(tl)-1]
		if gone != (last.Kind == "retention_purge") {
			t.Errorf("%s: last timeline entry %q", id, last.Kind)
		}
		if gone && (last.Detail["recordings_deleted"] != "2" || last.Actor != "retention" || !last.At.Equal(now)) {
			t.Errorf("%s: purge entry %+v", id, last)
		}
	}

	// A second run finds nothing to purge, but deletes what a late
	// recorder wrote for a purged incident; releasing the hold makes it due.
	f.write(t, filepath.Join("recordings", "i_old", "cam1", "late.mp4"), []byte("late"))
	if purged, err = rt.PurgeDue(ctx); err != nil || len(purged) != 0 {
		t.Fatalf("second run purged %q, %v", purged, err)
	}
	if _, err := os.Stat(filepath.Join(f.dataDir, "recordings", "i_old")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("late recording of a purged incident kept: %v", err)
	}
	if err := f.st.Release(ctx, "i_held", "procédure close", "admin", now); err != nil {
		t.Fatal(err)
	}
	clock = now.Add(time.Hour)
	if purged, err = rt.PurgeDue(ctx); err != nil || !slices.Equal(purged, []string{"i_held"}) {
		t.Fatalf("after release purged %q, %v", purged, err)
	}
	// The open incident is never purged, even called directly.
	if _, err := f.st.Purge(ctx, "i_open", now, "test", nil); !errors.Is(err, store.ErrIncidentOpen) {
		t.Fatalf("purge of an open incident: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.dataDir, "recordings", "i_open", "cam1", "0001.mp4")); err != nil {
		t.Fatalf("open incident's recording: %v", err)
	}
	// A purged incident cannot be put on hold any more.
	if err := f.st.Hold(ctx, store.LegalHold{Incident: "i_old", Reason: "trop tard", By: "admin", At: now}); err == nil {
		t.Fatal("hold of a purged incident accepted")
	}
}

func TestRetentionJobRunsAndStops(t *testing.T) {
	f := newFixture(t)
	closed := t0.Add(time.Hour)
	f.incident(t, "i_job", t0, &closed)
	rt := &Retention{Store: f.st, RecordingsDir: filepath.Join(f.dataDir, "recordings"), FilesDir: filepath.Join(f.dataDir, "files"),
		After: 24 * time.Hour, Now: func() time.Time { return t0.Add(72 * time.Hour) }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	job := StartJob(context.Background(), rt, time.Hour)
	defer job.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(f.dataDir, "recordings", "i_job")); errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job did not purge at start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	job.Close()
}
