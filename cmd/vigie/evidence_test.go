package main

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigie/store"
)

// seedIncident records a closed incident with a chat message and a
// recording in a data directory, as a running server would have.
func seedIncident(t *testing.T, data, id string, closed time.Time) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opened := closed.Add(-time.Hour)
	room := store.Room{ID: "r_" + id, Name: id, CreatedAt: opened}
	inc := store.Incident{ID: id, Site: "site-" + id, Room: room.ID, Kind: "holdup", Source: "webhook", OpenedAt: opened}
	if _, err := st.RecordAlarm(ctx, store.Alarm{ID: "a_" + id, DedupeKey: id, DedupeSince: opened, Site: inc.Site, Kind: "holdup",
		Source: "webhook", Code: "1120", OccurredAt: opened, ReceivedAt: opened, Raw: "{}", Opens: true}, inc, room); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AppendChat(ctx, store.ChatMessage{Room: room.ID, ID: "m_" + id, At: opened.Add(time.Minute), FromID: "p", FromName: "Police", Text: "en route"}); err != nil {
		t.Fatal(err)
	}
	if err := st.CloseIncident(ctx, id, closed, "operator"); err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(data, "recordings", id, "cam1")
	if err := os.MkdirAll(rec, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rec, "0001.mp4"), bytes.Repeat([]byte("mp4 "), 50000), 0o600); err != nil {
		t.Fatal(err)
	}
}

func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	code := run(context.Background(), args, &out, &out)
	return code, out.String()
}

func TestEvidenceCLI(t *testing.T) {
	data := t.TempDir()
	seedIncident(t, data, "i_cli", time.Now().Add(-48*time.Hour))
	bundle := filepath.Join(t.TempDir(), "bundle.zip")

	code, out := runCLI(t, "evidence", "export", "i_cli", "-o", bundle, "--data", data, "--by", "officier-123")
	if code != 0 || !strings.Contains(out, "signed by key") {
		t.Fatalf("export exit %d: %s", code, out)
	}
	code, keyOut := runCLI(t, "evidence", "key", "--data", data)
	if code != 0 {
		t.Fatalf("key exit %d: %s", code, keyOut)
	}
	pub := strings.Fields(keyOut)[0]
	if fi, err := os.Stat(filepath.Join(data, "evidence.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("evidence.key: %v %v", fi, err)
	}
	code, out = runCLI(t, "evidence", "verify", bundle, "--key", pub)
	if code != 0 || !strings.Contains(out, "OK: intact and signed by the expected key") || !strings.Contains(out, "by officier-123") {
		t.Fatalf("verify exit %d: %s", code, out)
	}

	// One changed byte in the recording: exit 1, naming the file.
	tampered := filepath.Join(t.TempDir(), "tampered.zip")
	copyZip(t, bundle, tampered, "recordings/cam1/0001.mp4")
	code, out = runCLI(t, "evidence", "verify", tampered, "--key", pub)
	if code != 1 || !strings.Contains(out, "FAIL recordings/cam1/0001.mp4: SHA-256 differs") {
		t.Fatalf("verify of a tampered bundle exit %d: %s", code, out)
	}

	code, out = runCLI(t, "evidence", "hold", "i_cli", "--reason", "réquisition 2026/77", "--data", data)
	if code != 0 || !strings.Contains(out, "on legal hold since") {
		t.Fatalf("hold exit %d: %s", code, out)
	}
	code, out = runCLI(t, "evidence", "release", "i_cli", "--reason", "classement", "--data", data)
	if code != 0 || !strings.Contains(out, "not on legal hold") {
		t.Fatalf("release exit %d: %s", code, out)
	}
	for _, bad := range [][]string{
		{"evidence"},
		{"evidence", "export", "i_cli", "--data", data},
		{"evidence", "hold", "i_cli", "--data", data},
		{"evidence", "export", "i_cli", "-o", bundle, "--data", t.TempDir()},
		{"evidence", "verify", bundle, "--key", "nope"},
	} {
		if code, out := runCLI(t, bad...); code == 0 {
			t.Errorf("%q exit 0: %s", bad, out)
		}
	}
}

// copyZip copies a zip, flipping one byte of the entry named flip.
func copyZip(t *testing.T, src, dst, flip string) {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == flip {
			b[len(b)/2] ^= 1
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestServeEvidence runs the server on a data directory with an old and a
// recent closed incident: retention purges the old one at start, and the
// admin API exports the recent one as a bundle that verifies.
func TestServeEvidence(t *testing.T) {
	data := t.TempDir()
	seedIncident(t, data, "i_old", time.Now().Add(-40*24*time.Hour))
	seedIncident(t, data, "i_new", time.Now().Add(-24*time.Hour))
	base, stop := startServe(t, data)
	defer stop()
	client := trustingClient(t, data)

	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := os.Stat(filepath.Join(data, "recordings", "i_old"))
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("retention did not purge i_old at start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := os.Stat(filepath.Join(data, "recordings", "i_new", "cam1", "0001.mp4")); err != nil {
		t.Fatalf("recent incident's recording: %v", err)
	}

	key, err := readAdminKey(filepath.Join(data, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	get := func(path, auth string) *http.Response {
		req, _ := http.NewRequest("GET", base+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	if resp := get("/api/v1/incidents/i_new/evidence", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("export without key: %s", resp.Status)
	}
	resp := get("/api/v1/incidents/i_new/evidence", key)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %s", resp.Status)
	}
	bundle := filepath.Join(t.TempDir(), "b.zip")
	f, _ := os.Create(bundle)
	io.Copy(f, resp.Body)
	f.Close()
	_, keyOut := runCLI(t, "evidence", "key", "--data", data)
	code, out := runCLI(t, "evidence", "verify", bundle, "--key", strings.Fields(keyOut)[0])
	if code != 0 || !strings.Contains(out, "OK: intact and signed by the expected key") || !strings.Contains(out, "by admin") {
		t.Fatalf("verify exit %d: %s", code, out)
	}
	// The purged incident still exports: its timeline, with the purge on
	// it, and no recording.
	old := filepath.Join(t.TempDir(), "old.zip")
	if code, out := runCLI(t, "evidence", "export", "i_old", "-o", old, "--data", data); code != 0 {
		t.Fatalf("export of a purged incident exit %d: %s", code, out)
	}
	zr, err := zip.OpenReader(old)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "recordings/") {
			t.Errorf("purged incident's bundle holds %s", f.Name)
		}
		if f.Name == "timeline.json" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.Contains(b, []byte(`"retention_purge"`)) {
				t.Errorf("purged incident's timeline has no purge entry")
			}
		}
	}
}
