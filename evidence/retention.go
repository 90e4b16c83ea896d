package evidence

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"vigie/store"
)

// PurgeStore is what retention needs from the database; *store.Store has it.
type PurgeStore interface {
	PurgeDue(ctx context.Context, closedBy time.Time) ([]store.Incident, error)
	Purge(ctx context.Context, incident string, at time.Time, by string, detail map[string]string) ([]string, error)
	PurgedIncidents(ctx context.Context) ([]string, error)
}

// Retention destroys the recordings, shared files and chat of incidents
// closed for longer than After, except those on legal hold. The timeline,
// invitations and sessions stay: they hold no images and record the purge.
type Retention struct {
	Store         PurgeStore
	RecordingsDir string // <data>/recordings
	FilesDir      string // <data>/files
	After         time.Duration
	Now           func() time.Time
	Log           *slog.Logger
}

// purgeActor names retention on the timeline.
const purgeActor = "retention"

// PurgeDue purges every incident due and returns the ids purged. It goes
// on after an incident fails, and returns the failures joined.
func (rt *Retention) PurgeDue(ctx context.Context) ([]string, error) {
	now := rt.Now().UTC()
	due, err := rt.Store.PurgeDue(ctx, now.Add(-rt.After))
	if err != nil {
		return nil, err
	}
	var purged []string
	errs := []error{rt.sweep(ctx)}
	for _, inc := range due {
		if err := rt.purge(ctx, inc, now); err != nil {
			errs = append(errs, err)
			continue
		}
		purged = append(purged, inc.ID)
	}
	return purged, errors.Join(errs...)
}

// purge decides in one database transaction, which refuses an open or
// held incident, and only then deletes the recordings and the file
// contents no other room shares. Should a deletion fail, the next run's
// sweep deletes the recordings left behind.
func (rt *Retention) purge(ctx context.Context, inc store.Incident, now time.Time) error {
	if !validID(inc.ID) {
		return fmt.Errorf("purge %q: not an incident id", inc.ID)
	}
	if inc.ClosedAt == nil {
		return fmt.Errorf("purge %s: %w", inc.ID, store.ErrIncidentOpen)
	}
	recordings, err := rt.countRecordings(inc.ID)
	if err != nil {
		return fmt.Errorf("purge %s: %w", inc.ID, err)
	}
	detail := map[string]string{
		"closed_at":          inc.ClosedAt.UTC().Format(time.RFC3339),
		"retention":          rt.After.String(),
		"recordings_deleted": fmt.Sprint(recordings),
	}
	orphans, err := rt.Store.Purge(ctx, inc.ID, now, purgeActor, detail)
	if err != nil {
		return err
	}
	var errs []error
	if err := rt.removeRecordings(inc.ID); err != nil {
		errs = append(errs, fmt.Errorf("purge %s: %w", inc.ID, err))
	}
	for _, sha := range orphans {
		if !validHash(sha) {
			continue
		}
		if err := os.Remove(filepath.Join(rt.FilesDir, sha)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("purge %s: file %s: %w", inc.ID, sha, err))
		}
	}
	rt.Log.Info("retention purge", "incident", inc.ID, "closed_at", inc.ClosedAt, "recordings_deleted", recordings, "files_deleted", len(orphans))
	return errors.Join(errs...)
}

// sweep deletes recordings left behind by purged incidents (a deletion
// that failed, or a recorder that wrote late).
func (rt *Retention) sweep(ctx context.Context) error {
	ids, err := rt.Store.PurgedIncidents(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if !validID(id) {
			continue
		}
		n, err := rt.countRecordings(id)
		if err == nil && n > 0 {
			rt.Log.Warn("retention: deleting recordings left after a purge", "incident", id, "files", n)
			err = rt.removeRecordings(id)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// countRecordings returns how many files the incident's recordings folder
// holds.
func (rt *Retention) countRecordings(incident string) (int, error) {
	if rt.RecordingsDir == "" {
		return 0, nil
	}
	n := 0
	err := filepath.WalkDir(filepath.Join(rt.RecordingsDir, incident), func(_ string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			n++
		}
		return nil
	})
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	return n, err
}

func (rt *Retention) removeRecordings(incident string) error {
	if rt.RecordingsDir == "" {
		return nil
	}
	return os.RemoveAll(filepath.Join(rt.RecordingsDir, incident))
}

// Job runs PurgeDue at start and then every Every, until Close.
type Job struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// StartJob starts the retention job; Close stops it and waits for it.
func StartJob(ctx context.Context, rt *Retention, every time.Duration) *Job {
	ctx, cancel := context.WithCancel(ctx)
	j := &Job{cancel: cancel}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if _, err := rt.PurgeDue(ctx); err != nil && ctx.Err() == nil {
				rt.Log.Error("retention purge failed", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return j
}

// Close stops the job and waits for a purge in progress to end.
func (j *Job) Close() {
	j.cancel()
	j.wg.Wait()
}
