package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigie/store"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fixture is a real store in a temporary data directory.
type fixture struct {
	st      *store.Store
	dataDir string
	key     ed25519.PrivateKey
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := LoadOrCreateKey(filepath.Join(dir, "evidence.key"))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, dataDir: dir, key: key}
}

// incident opens an incident at opened on its own site, with a chat
// message, an invitation, a session and recordings; closed nil leaves it
// open.
func (f *fixture) incident(t *testing.T, id string, opened time.Time, closed *time.Time) store.Incident {
	t.Helper()
	ctx := context.Background()
	room := store.Room{ID: "r_" + id, Name: id, CreatedAt: opened, Cameras: []string{"cam1"}}
	inc := store.Incident{ID: id, Site: "site-" + id, Room: room.ID, Kind: "holdup", Source: "webhook", OpenedAt: opened}
	a := store.Alarm{ID: "a_" + id, DedupeKey: "k-" + id, DedupeSince: opened.Add(-time.Hour), Site: inc.Site, Kind: "holdup",
		Source: "webhook", Code: "1120", OccurredAt: opened, ReceivedAt: opened, Raw: "{}", Opens: true}
	if _, err := f.st.RecordAlarm(ctx, a, inc, room); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.CreateInvitations(ctx, []store.Invitation{{ID: "v_" + id, Incident: id, Contact: "police", Name: "Police",
		Email: "police@example.org", Role: "responder", Lang: "fr", List: "committee", CreatedAt: opened.Add(time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.MarkInvitation(ctx, "v_"+id, store.InvitationJoined, opened.Add(time.Minute), "police", nil); err != nil {
		t.Fatal(err)
	}
	if err := f.st.StartSession(ctx, store.Session{ID: "s_" + id, RoomID: room.ID, ParticipantID: "p1", Name: "Police", Role: "responder",
		RemoteAddr: "192.0.2.7", UserAgent: "test", JoinedAt: opened.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AppendChat(ctx, store.ChatMessage{Room: room.ID, ID: "m_" + id, At: opened.Add(2 * time.Minute),
		FromID: "p1", FromName: "Police", Text: "sur place dans 5 min"}); err != nil {
		t.Fatal(err)
	}
	f.write(t, filepath.Join("recordings", id, "cam1", "0001.mp4"), randomBytes(t, 300<<10))
	f.write(t, filepath.Join("recordings", id, "cam1", "0002.mp4"), randomBytes(t, 1000))
	if closed != nil {
		if err := f.st.CloseIncident(ctx, id, *closed, "operator"); err != nil {
			t.Fatal(err)
		}
	}
	return inc
}

func (f *fixture) write(t *testing.T, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(f.dataDir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// fakeFiles is a FileSource over a map, for a branch of the schema without
// the files table in use.
type fakeFiles struct {
	list  []store.SharedFile
	bytes map[string][]byte
}

func newFakeFiles(room string, contents map[string][]byte) *fakeFiles {
	ff := &fakeFiles{bytes: map[string][]byte{}}
	i := 0
	for name, b := range contents {
		sum := sha256.Sum256(b)
		sha := hex.EncodeToString(sum[:])
		ff.bytes[sha] = b
		i++
		ff.list = append(ff.list, store.SharedFile{ID: fmt.Sprintf("f%d", i), Room: room, SHA256: sha, Name: name,
			ContentType: "application/octet-stream", Size: int64(len(b)), UploaderID: "p1", UploaderName: "Police", UploadedAt: t0})
	}
	return ff
}

func (ff *fakeFiles) IncidentFiles(context.Context, string) ([]store.SharedFile, error) {
	return ff.list, nil
}

func (ff *fakeFiles) Open(sha string) (io.ReadCloser, error) {
	b, ok := ff.bytes[sha]
	if !ok {
		return nil, os.ErrNotExist
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// export writes incident's bundle and returns its bytes.
func (f *fixture) export(t *testing.T, incident string, files FileSource) []byte {
	t.Helper()
	x := &Exporter{Records: f.st, Files: files, RecordingsDir: filepath.Join(f.dataDir, "recordings"), Key: f.key,
		Version: "test", Now: func() time.Time { return t0.Add(48 * time.Hour) }}
	var buf bytes.Buffer
	if _, err := x.Export(context.Background(), &buf, incident, "test-exporter"); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// rewrite copies a zip, passing each entry through edit (which may change
// its bytes or drop it), then appends extra entries.
func rewrite(t *testing.T, src []byte, edit func(name string, b []byte) ([]byte, bool), extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(src), int64(len(src)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		b := readEntry(t, f)
		b, keep := edit(f.Name, b)
		if !keep {
			continue
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	for name, b := range extra {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func readEntry(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func verifyBytes(t *testing.T, b []byte, want ed25519.PublicKey) Report {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return Verify(zr, want)
}
