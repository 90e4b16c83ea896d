package evidence

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigie/store"
)

func TestExportVerifyRoundTrip(t *testing.T) {
	f := newFixture(t)
	closed := t0.Add(time.Hour)
	inc := f.incident(t, "i_round", t0, &closed)
	files := newFakeFiles(inc.Room, map[string][]byte{"plan étage.pdf": []byte("%PDF plan"), "photo.jpg": randomBytes(t, 5000)})
	bundle := f.export(t, inc.ID, files)
	path := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(path, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyFile(path, f.key.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("verify of a fresh bundle: %q", rep.Problems)
	}
	m := rep.Manifest
	if m.Incident != inc.ID || m.Exporter != "test-exporter" || m.Version != "test" || !m.ExportedAt.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("manifest header = %+v", m)
	}
	var paths []string
	for _, fe := range m.Files {
		paths = append(paths, fe.Path)
	}
	for _, want := range []string{"incident.json", "timeline.json", "chat.json", "invitations.json", "access.json", "files.json",
		"recordings/cam1/0001.mp4", "recordings/cam1/0002.mp4", "files/f1-plan_étage.pdf", "files/f2-photo.jpg"} {
		if !slices.Contains(paths, want) && !(strings.HasPrefix(want, "files/f") && hasPrefixSuffix(paths, want)) {
			t.Errorf("manifest lacks %s; has %q", want, paths)
		}
	}
	for _, fe := range m.Files {
		if fe.Path == "recordings/cam1/0001.mp4" && fe.Size != 300<<10 {
			t.Errorf("recording size %d", fe.Size)
		}
	}
	// The bundle's timeline is the store's, entry for entry.
	stored, err := f.st.Timeline(context.Background(), inc.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := entryJSON(t, bundle, "timeline.json")
	var list []TimelineEntry
	if err := json.Unmarshal(got, &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != len(stored) || len(list) < 5 || list[len(list)-1].Hash != stored[len(stored)-1].Hash {
		t.Fatalf("timeline.json has %d entries, store %d", len(list), len(stored))
	}
	if last := list[len(list)-1]; last.Kind != "evidence_exported" || last.Actor != "test-exporter" {
		t.Errorf("last timeline entry %+v, want the export", last)
	}
	if chat := string(entryJSON(t, bundle, "chat.json")); !strings.Contains(chat, "sur place dans 5 min") {
		t.Errorf("chat.json = %s", chat)
	}
	if access := string(entryJSON(t, bundle, "access.json")); !strings.Contains(access, "192.0.2.7") {
		t.Errorf("access.json = %s", access)
	}
}

// hasPrefixSuffix accepts the files/ path whatever the map order gave as
// its id: f1-x or f2-x.
func hasPrefixSuffix(paths []string, want string) bool {
	_, name, _ := strings.Cut(strings.TrimPrefix(want, "files/"), "-")
	for _, p := range paths {
		if strings.HasPrefix(p, "files/f") && strings.HasSuffix(p, "-"+name) {
			return true
		}
	}
	return false
}

func entryJSON(t *testing.T, bundle []byte, name string) []byte {
	t.Helper()
	var out []byte
	rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) {
		if n == name {
			out = b
		}
		return b, true
	}, nil)
	if out == nil {
		t.Fatalf("%s not in bundle", name)
	}
	return out
}

func TestVerifyDetectsTampering(t *testing.T) {
	f := newFixture(t)
	closed := t0.Add(time.Hour)
	inc := f.incident(t, "i_tamper", t0, &closed)
	bundle := f.export(t, inc.ID, newFakeFiles(inc.Room, map[string][]byte{"photo.jpg": randomBytes(t, 2000)}))
	pub := f.key.Public().(ed25519.PublicKey)
	otherPub, otherKey, _ := ed25519.GenerateKey(nil)

	flip := func(target string) func(string, []byte) ([]byte, bool) {
		return func(name string, b []byte) ([]byte, bool) {
			if name == target {
				b = slices.Clone(b)
				b[len(b)/2] ^= 0x01
			}
			return b, true
		}
	}
	// resign rewrites the manifest through edit and signs it with key.
	resign := func(key ed25519.PrivateKey, edit func(*Manifest)) []byte {
		var m Manifest
		if err := json.Unmarshal(entryJSON(t, bundle, ManifestName), &m); err != nil {
			t.Fatal(err)
		}
		edit(&m)
		body, _ := json.MarshalIndent(m, "", "  ")
		return rewrite(t, bundle, func(name string, b []byte) ([]byte, bool) {
			switch name {
			case ManifestName:
				return body, true
			case SignatureName:
				return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(key, body))), true
			}
			return b, true
		}, nil)
	}
	// alteredTimeline changes entry 3's text, then rewrites the manifest's
	// hash for it and signs with the real key: only the chain can tell.
	alteredTimeline := func() []byte {
		var list []TimelineEntry
		if err := json.Unmarshal(entryJSON(t, bundle, "timeline.json"), &list); err != nil {
			t.Fatal(err)
		}
		list[2].Actor = "someone else"
		tl, _ := json.MarshalIndent(list, "", "  ")
		b := rewrite(t, bundle, func(name string, b []byte) ([]byte, bool) {
			if name == "timeline.json" {
				return tl, true
			}
			return b, true
		}, nil)
		hw := newHashingWriter(nopWriter{})
		hw.Write(tl)
		var m Manifest
		json.Unmarshal(entryJSON(t, b, ManifestName), &m)
		for i := range m.Files {
			if m.Files[i].Path == "timeline.json" {
				m.Files[i].SHA256, m.Files[i].Size = hw.sum(), hw.size
			}
		}
		body, _ := json.MarshalIndent(m, "", "  ")
		return rewrite(t, b, func(name string, x []byte) ([]byte, bool) {
			switch name {
			case ManifestName:
				return body, true
			case SignatureName:
				return []byte(base64.StdEncoding.EncodeToString(ed25519.Sign(f.key, body))), true
			}
			return x, true
		}, nil)
	}

	tests := []struct {
		name   string
		bundle []byte
		key    ed25519.PublicKey
		want   []string
	}{
		{"intact", bundle, pub, nil},
		{"intact, key from the manifest", bundle, nil, nil},
		{"byte of a recording", rewrite(t, bundle, flip("recordings/cam1/0001.mp4"), nil), pub,
			[]string{"recordings/cam1/0001.mp4: SHA-256 differs"}},
		{"byte of a shared file", rewrite(t, bundle, flip("files/f1-photo.jpg"), nil), pub, []string{"files/f1-photo.jpg: SHA-256 differs"}},
		{"byte of the chat", rewrite(t, bundle, flip("chat.json"), nil), pub, []string{"chat.json: SHA-256 differs"}},
		{"byte of the timeline", rewrite(t, bundle, flip("timeline.json"), nil), pub, []string{"timeline.json: SHA-256 differs"}},
		{"byte of the manifest", rewrite(t, bundle, flip(ManifestName), nil), pub, []string{"manifest.json"}},
		{"removed recording", rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) { return b, n != "recordings/cam1/0002.mp4" }, nil), pub,
			[]string{"recordings/cam1/0002.mp4: missing"}},
		{"added file", rewrite(t, bundle, func(_ string, b []byte) ([]byte, bool) { return b, true }, map[string][]byte{"recordings/cam1/extra.mp4": []byte("x")}), pub,
			[]string{"recordings/cam1/extra.mp4: present but not in the manifest"}},
		{"truncated recording", rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) {
			if n == "recordings/cam1/0002.mp4" {
				return b[:10], true
			}
			return b, true
		}, nil), pub, []string{"recordings/cam1/0002.mp4: size 10 bytes, manifest says 1000", "recordings/cam1/0002.mp4: SHA-256 differs"}},
		{"changed timeline entry, manifest re-signed", alteredTimeline(), pub, []string{"timeline.json: entry 3: altered (hash mismatch)"}},
		{"bad signature", rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) {
			if n == SignatureName {
				return []byte(base64.StdEncoding.EncodeToString(make([]byte, ed25519.SignatureSize))), true
			}
			return b, true
		}, nil), pub, []string{"manifest.sig: signature does not match manifest.json"}},
		{"manifest edited, signature kept", rewrite(t, resign(f.key, func(m *Manifest) { m.Exporter = "x" }), func(n string, b []byte) ([]byte, bool) {
			if n == SignatureName {
				return entryJSON(t, bundle, SignatureName), true
			}
			return b, true
		}, nil), pub, []string{"manifest.sig: signature does not match manifest.json"}},
		{"re-signed with another key", resign(otherKey, func(m *Manifest) { m.PublicKey = PublicKeyString(otherPub) }), pub,
			[]string{"manifest.json: signed with key " + Fingerprint(otherPub) + ", not the expected key " + Fingerprint(pub)}},
		{"wrong key expected", bundle, otherPub, []string{"not the expected key"}},
		{"timeline removed", rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) { return b, n != "timeline.json" }, nil), pub,
			[]string{"timeline.json: missing"}},
		{"signature missing", rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) { return b, n != SignatureName }, nil), pub,
			[]string{"manifest.sig: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := verifyBytes(t, tt.bundle, tt.key)
			if tt.want == nil {
				if !rep.OK() {
					t.Fatalf("problems on an intact bundle: %q", rep.Problems)
				}
				return
			}
			if rep.OK() {
				t.Fatal("tampered bundle verified")
			}
			all := strings.Join(rep.Problems, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems %q lack %q", rep.Problems, w)
				}
			}
		})
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "evidence.key")
	k1, err := LoadOrCreateKey(p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(p)
	if err != nil || !k1.Equal(k2) {
		t.Fatalf("second load gave another key (%v)", err)
	}
	pub, err := ParsePublicKey(PublicKeyString(k1.Public().(ed25519.PublicKey)))
	if err != nil || !pub.Equal(k1.Public()) {
		t.Fatalf("public key round trip: %v", err)
	}
	if fp := Fingerprint(pub); len(fp) != 19 {
		t.Errorf("fingerprint %q", fp)
	}
	os.WriteFile(p, []byte("not a key\n"), 0o600)
	if _, err := LoadOrCreateKey(p); err == nil {
		t.Error("a damaged key file was accepted")
	}
}

func TestExportUnknownIncident(t *testing.T) {
	f := newFixture(t)
	x := &Exporter{Records: f.st, Key: f.key, Now: time.Now}
	var sink nopWriter
	if _, err := x.Export(context.Background(), sink, "i_none", "t"); err == nil || !strings.Contains(err.Error(), store.ErrNotFound.Error()) {
		t.Fatalf("export of a missing incident: %v", err)
	}
	if _, err := x.Export(context.Background(), sink, "../etc", "t"); err == nil {
		t.Fatal("export of a path-like id")
	}
}

func TestExportListsMissingFileContent(t *testing.T) {
	f := newFixture(t)
	closed := t0.Add(time.Hour)
	inc := f.incident(t, "i_missing", t0, &closed)
	files := newFakeFiles(inc.Room, map[string][]byte{"photo.jpg": []byte("jpeg")})
	files.list = append(files.list, store.SharedFile{ID: "f9", Room: inc.Room, SHA256: strings.Repeat("c", 64), Name: "gone.pdf", UploadedAt: t0})
	bundle := f.export(t, inc.ID, files)
	if rep := verifyBytes(t, bundle, f.key.Public().(ed25519.PublicKey)); !rep.OK() {
		t.Fatalf("problems: %q", rep.Problems)
	}
	var list []struct {
		ID      string `json:"id"`
		Path    string `json:"path"`
		Missing bool   `json:"missing"`
	}
	if err := json.Unmarshal(entryJSON(t, bundle, "files.json"), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Path != "files/f1-photo.jpg" || list[0].Missing || list[1].ID != "f9" || !list[1].Missing || list[1].Path != "" {
		t.Fatalf("files.json = %+v", list)
	}
}
