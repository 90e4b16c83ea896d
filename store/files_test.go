package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFilesAndAccessLog(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if err := s.CreateRoom(ctx, Room{ID: "r1", Name: "Salle", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	hash := "a3f1c9e2b7d4058e6a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f50617"
	for _, id := range []string{"f1", "f2"} { // the same content shared twice: two rows
		f, err := s.AddFile(ctx, File{ID: id, Room: "r1", SHA256: hash, Name: "plan.pdf", ContentType: "application/pdf",
			Size: 42, UploaderID: "p1", UploaderName: "Alice", UploadedAt: now})
		if err != nil || f.Incident != "" {
			t.Fatalf("AddFile %s: %+v %v", id, f, err)
		}
	}
	if _, err := s.AddFile(ctx, File{ID: "f3", Room: "nope", SHA256: hash, UploadedAt: now}); err == nil {
		t.Fatal("a file of an unknown room was accepted")
	}
	if _, err := s.FileByID(ctx, "r1", "f9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown file: %v", err)
	}
	if _, err := s.FileByID(ctx, "r2", "f1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("file of another room: %v", err)
	}
	for range 2 { // withdrawing twice logs once
		f, err := s.WithdrawFile(ctx, "r1", "f1", now.Add(time.Minute), "op", "Opérateur")
		if err != nil || f.WithdrawnAt == nil || !f.WithdrawnAt.Equal(now.Add(time.Minute)) || f.WithdrawnBy != "op" {
			t.Fatalf("withdraw: %+v %v", f, err)
		}
	}
	if _, err := s.WithdrawFile(ctx, "r1", "f9", now, "op", "Op"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("withdraw unknown: %v", err)
	}
	shown, _ := s.Files(ctx, "r1", false)
	all, _ := s.Files(ctx, "r1", true)
	if len(shown) != 1 || shown[0].ID != "f2" || len(all) != 2 {
		t.Fatalf("shown %+v, all %+v", shown, all)
	}
	if err := s.RecordAccess(ctx, Access{Room: "r1", At: now, Kind: "file_viewed", ActorID: "p2", ActorName: "Bob", Subject: "f2"}); err != nil {
		t.Fatal(err)
	}
	log, err := s.AccessLog(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range log {
		kinds = append(kinds, a.Kind+":"+a.Subject)
	}
	want := "file_shared:f1 file_shared:f2 file_withdrawn:f1 file_viewed:f2"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("access log %q, want %q", got, want)
	}
	if log[0].Detail["sha256"] != hash || log[3].ActorName != "Bob" {
		t.Fatalf("log %+v", log)
	}
}
