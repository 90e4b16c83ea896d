package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"vigie/store"
)

var snakeCase = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)

// TestBundleJSONNaming decodes every JSON document of a bundle and checks
// the naming the documentation promises: snake_case keys at every depth,
// times in RFC 3339 UTC or null, and every documented key present, in the
// documentation's table for that file too.
func TestBundleJSONNaming(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	closed := t0.Add(time.Hour)
	inc := f.incident(t, "i_json", t0, &closed)
	if err := f.st.EndSession(ctx, "s_i_json", t0.Add(30*time.Minute), "left"); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordAccess(ctx, store.Access{Room: inc.Room, At: t0.Add(3 * time.Minute), Kind: "camera_watch_started",
		ActorID: "p1", ActorName: "Police", Subject: "cam1", Detail: map[string]string{"camera": "cam1"}}); err != nil {
		t.Fatal(err)
	}
	if err := f.st.Hold(ctx, store.LegalHold{Incident: inc.ID, Reason: "réquisition 2026/1", By: "cli:test", At: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	files := newFakeFiles(inc.Room, map[string][]byte{"photo.jpg": []byte("jpeg")})
	withdrawn := t0.Add(10 * time.Minute)
	files.list[0].WithdrawnAt = &withdrawn
	files.list = append(files.list, store.SharedFile{ID: "f9", Room: inc.Room, SHA256: strings.Repeat("c", 64), Name: "gone.pdf", UploadedAt: t0})
	bundle := f.export(t, inc.ID, files)

	doc, err := os.ReadFile("../docs/evidence.md")
	if err != nil {
		t.Fatal(err)
	}

	// Each row: a file, where in it (steps: a key, or [] for every element
	// of a list; none for the top), and the keys every object there has.
	tests := []struct {
		file  string
		where []string
		keys  []string
	}{
		{"manifest.json", nil, []string{"format", "incident", "exported_at", "exporter", "vigie_version", "public_key", "files"}},
		{"manifest.json", []string{"files", "[]"}, []string{"path", "sha256", "size"}},
		{"incident.json", nil, []string{"incident", "legal_hold"}},
		{"incident.json", []string{"incident"}, []string{"id", "site", "room", "kind", "source", "opened_at", "closed_at"}},
		{"incident.json", []string{"legal_hold"}, []string{"incident", "reason", "by", "at"}},
		{"timeline.json", []string{"[]"}, []string{"incident", "seq", "at", "kind", "actor", "detail", "prev_hash", "hash"}},
		{"chat.json", []string{"[]"}, []string{"room", "seq", "id", "at", "from_id", "from_name", "text"}},
		{"invitations.json", []string{"[]"}, []string{"id", "incident", "contact", "name", "email", "role", "lang", "list", "state",
			"created_at", "opened_at", "joined_at", "revoked_at"}},
		{"access.json", nil, []string{"sessions", "access_log"}},
		{"access.json", []string{"sessions", "[]"}, []string{"id", "room", "participant_id", "name", "role", "remote_addr", "user_agent",
			"joined_at", "left_at", "leave_reason"}},
		{"access.json", []string{"access_log", "[]"}, []string{"at", "kind", "actor_id", "actor_name", "subject", "detail"}},
		{"files.json", []string{"[]"}, []string{"id", "room", "sha256", "name", "content_type", "size", "uploader_id", "uploader_name",
			"uploaded_at", "withdrawn_at", "path", "missing"}},
	}
	checked := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.file+"/"+strings.Join(tt.where, "/"), func(t *testing.T) {
			v := decodeEntry(t, bundle, tt.file)
			if !checked[tt.file] {
				checked[tt.file] = true
				checkNaming(t, tt.file, v)
			}
			objs := objectsAt(t, v, tt.where)
			if len(objs) == 0 {
				t.Fatalf("nothing at %v", tt.where)
			}
			for i, o := range objs {
				for _, k := range tt.keys {
					if _, ok := o[k]; !ok {
						t.Errorf("object %d lacks %q: %v", i, k, o)
					}
				}
				for k := range o {
					if !slices.Contains(tt.keys, k) {
						t.Errorf("object %d has %q, which the test (and so the documentation) does not list", i, k)
					}
				}
			}
			section := docSection(t, doc, tt.file)
			for _, k := range tt.keys {
				if !bytes.Contains(section, []byte("`"+k+"`")) {
					t.Errorf("docs/evidence.md does not describe %s's %q", tt.file, k)
				}
			}
		})
	}
	// Every JSON file of the bundle is in the table above.
	for _, name := range bundleJSONNames(t, bundle) {
		if !checked[name] {
			t.Errorf("%s: not checked", name)
		}
	}

	// Absent values are null, present ones keep their value.
	var files2 []map[string]any
	if err := json.Unmarshal(entryJSON(t, bundle, "files.json"), &files2); err != nil {
		t.Fatal(err)
	}
	if files2[0]["withdrawn_at"] != "2026-03-02T10:10:00Z" || files2[0]["path"] != "files/f1-photo.jpg" || files2[0]["missing"] != false {
		t.Errorf("files.json, present file: %v", files2[0])
	}
	if files2[1]["withdrawn_at"] != nil || files2[1]["path"] != nil || files2[1]["missing"] != true {
		t.Errorf("files.json, missing file: %v", files2[1])
	}
}

func decodeEntry(t *testing.T, bundle []byte, name string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(entryJSON(t, bundle, name)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// checkNaming walks v: every key snake_case, every time ("at" or "…_at")
// RFC 3339 in UTC or null.
func checkNaming(t *testing.T, where string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if !snakeCase.MatchString(k) {
				t.Errorf("%s: key %q is not snake_case", where, k)
			}
			if k == "at" || strings.HasSuffix(k, "_at") {
				checkTime(t, where+"."+k, x)
			}
			checkNaming(t, where+"."+k, x)
		}
	case []any:
		for _, x := range v {
			checkNaming(t, where+"[]", x)
		}
	}
}

func checkTime(t *testing.T, where string, v any) {
	t.Helper()
	if v == nil {
		return
	}
	s, ok := v.(string)
	if !ok {
		t.Errorf("%s = %v: not a time", where, v)
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
		t.Errorf("%s = %q: not RFC 3339 UTC", where, s)
	}
}

// objectsAt follows where from v: a key steps into an object, "[]" into
// every element of a list.
func objectsAt(t *testing.T, v any, where []string) []map[string]any {
	t.Helper()
	cur := []any{v}
	for _, step := range where {
		var next []any
		for _, c := range cur {
			if step == "[]" {
				l, ok := c.([]any)
				if !ok {
					t.Fatalf("at %v: %T, want a list", where, c)
				}
				next = append(next, l...)
				continue
			}
			o, ok := c.(map[string]any)
			if !ok {
				t.Fatalf("at %v: %T, want an object", where, c)
			}
			next = append(next, o[step])
		}
		cur = next
	}
	out := make([]map[string]any, 0, len(cur))
	for _, c := range cur {
		o, ok := c.(map[string]any)
		if !ok {
			t.Fatalf("at %v: %T, want an object", where, c)
		}
		out = append(out, o)
	}
	return out
}

// docSection is the part of docs/evidence.md under the heading that names
// file, up to the next heading.
func docSection(t *testing.T, doc []byte, file string) []byte {
	t.Helper()
	head := []byte("#### `" + file + "`")
	i := bytes.Index(doc, head)
	if i < 0 {
		t.Fatalf("docs/evidence.md has no heading %q", head)
	}
	rest := doc[i+len(head):]
	if j := bytes.Index(rest, []byte("\n#")); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

func bundleJSONNames(t *testing.T, bundle []byte) []string {
	t.Helper()
	var names []string
	rewrite(t, bundle, func(n string, b []byte) ([]byte, bool) {
		if strings.HasSuffix(n, ".json") {
			names = append(names, n)
		}
		return b, true
	}, nil)
	return names
}
