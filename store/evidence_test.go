package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// addSharedFile inserts a files row as the files feature does.
func addSharedFile(t *testing.T, s *Store, id, room, incident, sha string) {
	t.Helper()
	var inc any
	if incident != "" {
		inc = incident
	}
	if _, err := s.db.Exec(`INSERT INTO files (id, room_id, incident_id, sha256, name, content_type, size, uploader_id, uploader_name, uploaded_at)
		VALUES ($1, $2, $3, $4, 'plan.pdf', 'application/pdf', 10, 'p1', 'Police', $5)`, id, room, inc, sha, formatTime(at(5))); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`INSERT INTO access_log (room_id, at, kind, actor_id, actor_name, subject, detail)
		VALUES ($1, $2, 'file_downloaded', 'p1', 'Police', $3, '{}')`, room, formatTime(at(6)), id); err != nil {
		t.Fatal(err)
	}
}

func TestPurgeFilesHoldsAndOpenIncidents(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	for i, id := range []string{"i_a", "i_b", "i_open"} {
		inc, room := newIncident(id, "site"+id, i)
		if _, err := s.RecordAlarm(ctx, alarmAt("k"+id, inc.Site, true, i), inc, room); err != nil {
			t.Fatal(err)
		}
	}
	shared, own := strings.Repeat("a", 64), strings.Repeat("b", 64)
	addSharedFile(t, s, "f1", "r_i_a", "i_a", shared)
	addSharedFile(t, s, "f2", "r_i_a", "i_a", own)
	addSharedFile(t, s, "f3", "r_i_b", "i_b", shared)
	for _, id := range []string{"i_a", "i_b"} {
		if err := s.CloseIncident(ctx, id, at(10), "op"); err != nil {
			t.Fatal(err)
		}
	}
	files, err := s.IncidentFiles(ctx, "i_a")
	if err != nil || len(files) != 2 || files[0].SHA256 == "" {
		t.Fatalf("files of i_a = %+v, %v", files, err)
	}
	if acc, err := s.AccessLog(ctx, "r_i_a"); err != nil || len(acc) != 2 || acc[0].Kind != "file_downloaded" {
		t.Fatalf("access of r_i_a = %+v, %v", acc, err)
	}
	due, err := s.PurgeDue(ctx, at(9))
	if err != nil || len(due) != 0 {
		t.Fatalf("due before closing time: %+v, %v", due, err)
	}
	if err := s.Hold(ctx, LegalHold{Incident: "i_b", Reason: "enquête", By: "admin", At: at(11)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Hold(ctx, LegalHold{Incident: "i_b", Reason: "again", By: "admin", At: at(12)}); err != nil {
		t.Fatal(err)
	}
	if h, err := s.HoldOf(ctx, "i_b"); err != nil || h == nil || h.Reason != "enquête" {
		t.Fatalf("hold of i_b = %+v, %v", h, err)
	}
	if err := s.Hold(ctx, LegalHold{Incident: "i_b", By: "admin", At: at(12)}); err == nil {
		t.Fatal("hold without a reason accepted")
	}
	if err := s.Hold(ctx, LegalHold{Incident: "i_none", Reason: "x", By: "admin", At: at(12)}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("hold of a missing incident: %v", err)
	}
	due, err = s.PurgeDue(ctx, at(20))
	if err != nil || len(due) != 1 || due[0].ID != "i_a" {
		t.Fatalf("due = %+v, %v", due, err)
	}
	if _, err := s.Purge(ctx, "i_b", at(20), "t", nil); !errors.Is(err, ErrOnHold) {
		t.Fatalf("purge of a held incident: %v", err)
	}
	if _, err := s.Purge(ctx, "i_open", at(20), "t", nil); !errors.Is(err, ErrIncidentOpen) {
		t.Fatalf("purge of an open incident: %v", err)
	}
	orphans, err := s.Purge(ctx, "i_a", at(20), "retention", map[string]string{"recordings_deleted": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(orphans, []string{own}) {
		t.Fatalf("orphans %q: the content i_b shares must stay", orphans)
	}
	if files, _ := s.IncidentFiles(ctx, "i_a"); len(files) != 0 {
		t.Fatalf("file records left: %+v", files)
	}
	tl, _ := s.Timeline(ctx, "i_a")
	if last := tl[len(tl)-1]; last.Kind != "retention_purge" || last.Detail["files_deleted"] != "1" || last.Detail["recordings_deleted"] != "3" {
		t.Fatalf("last entry %+v", last)
	}
	if err := VerifyChain(tl); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.PurgeDue(ctx, at(30)); len(due) != 0 {
		t.Fatalf("purged incident due again: %+v", due)
	}
	if ids, err := s.PurgedIncidents(ctx); err != nil || !slices.Equal(ids, []string{"i_a"}) {
		t.Fatalf("purged incidents %q, %v", ids, err)
	}
	if err := s.Release(ctx, "i_b", "fin", "admin", at(21)); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.PurgeDue(ctx, at(30)); len(due) != 1 || due[0].ID != "i_b" {
		t.Fatalf("released incident not due: %+v", due)
	}
	tl, _ = s.Timeline(ctx, "i_b")
	kinds := []string{}
	for _, e := range tl {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Contains(kinds, "legal_hold") || !slices.Contains(kinds, "legal_hold_released") {
		t.Fatalf("i_b timeline kinds %q", kinds)
	}
}
