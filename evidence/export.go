package evidence

import (
	"archive/zip"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"vigie/store"
)

// Records is what an export reads from the database; *store.Store has it.
type Records interface {
	Incident(ctx context.Context, id string) (store.Incident, error)
	Timeline(ctx context.Context, incident string) ([]store.Entry, error)
	ChatHistory(ctx context.Context, room string, after int64, limit int) ([]store.ChatMessage, error)
	Invitations(ctx context.Context, incident string) ([]store.Invitation, error)
	Sessions(ctx context.Context, room string) ([]store.Session, error)
	AccessLog(ctx context.Context, room string) ([]store.Access, error)
	HoldOf(ctx context.Context, incident string) (*store.LegalHold, error)
	Append(ctx context.Context, e store.Entry) (store.Entry, error)
}

// FileSource lists the files shared in an incident's room and opens their
// bytes.
type FileSource interface {
	IncidentFiles(ctx context.Context, incident string) ([]store.SharedFile, error)
	Open(sha256 string) (io.ReadCloser, error)
}

// StoreFiles is the FileSource of a running vigie: records in the store,
// bytes in Dir (<data>/files), named by their SHA-256.
type StoreFiles struct {
	Store *store.Store
	Dir   string
}

// IncidentFiles implements FileSource.
func (s StoreFiles) IncidentFiles(ctx context.Context, incident string) ([]store.SharedFile, error) {
	return s.Store.IncidentFiles(ctx, incident)
}

// Open implements FileSource.
func (s StoreFiles) Open(sha string) (io.ReadCloser, error) {
	if !validHash(sha) {
		return nil, fmt.Errorf("file %q: not a SHA-256", sha)
	}
	return os.Open(filepath.Join(s.Dir, sha))
}

// Exporter writes evidence bundles.
type Exporter struct {
	Records       Records
	Files         FileSource
	RecordingsDir string // <data>/recordings: an incident's are under <id>/
	Key           ed25519.PrivateKey
	Version       string
	Now           func() time.Time
}

// chatPage is how many chat messages an export reads at once.
const chatPage = 500

// Export writes incident's bundle to w as a zip, streaming every file, and
// returns its manifest. exporter names who asked for it.
func (x *Exporter) Export(ctx context.Context, w io.Writer, incident, exporter string) (Manifest, error) {
	m := Manifest{Format: Format, Incident: incident, Exporter: exporter, Version: x.Version,
		PublicKey: PublicKeyString(x.Key.Public().(ed25519.PublicKey))}
	if !validID(incident) {
		return m, fmt.Errorf("export %q: not an incident id", incident)
	}
	inc, err := x.Records.Incident(ctx, incident)
	if err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	m.ExportedAt = x.Now().UTC()
	// The export goes on the timeline first, so the bundle holds its own
	// record of custody.
	if _, err := x.Records.Append(ctx, store.Entry{Incident: incident, At: m.ExportedAt, Kind: "evidence_exported", Actor: exporter,
		Detail: map[string]string{"key_fingerprint": Fingerprint(x.Key.Public().(ed25519.PublicKey))}}); err != nil {
		return m, fmt.Errorf("export: %w", err)
	}
	b := &bundleWriter{zw: zip.NewWriter(w), m: &m}
	if err := x.writeRecords(ctx, b, inc); err != nil {
		return m, fmt.Errorf("export %s: %w", incident, err)
	}
	if err := x.writeRecordings(ctx, b, incident); err != nil {
		return m, fmt.Errorf("export %s: %w", incident, err)
	}
	if err := x.writeFiles(ctx, b, incident); err != nil {
		return m, fmt.Errorf("export %s: %w", incident, err)
	}
	if err := b.finish(x.Key); err != nil {
		return m, fmt.Errorf("export %s: %w", incident, err)
	}
	return m, nil
}

func (x *Exporter) writeRecords(ctx context.Context, b *bundleWriter, inc store.Incident) error {
	hold, err := x.Records.HoldOf(ctx, inc.ID)
	if err != nil {
		return err
	}
	if err := b.writeJSON("incident.json", toIncidentDoc(inc, hold)); err != nil {
		return err
	}
	timeline, err := x.Records.Timeline(ctx, inc.ID)
	if err != nil {
		return err
	}
	if err := b.writeJSON("timeline.json", toTimeline(timeline)); err != nil {
		return err
	}
	chat, err := x.chat(ctx, inc.Room)
	if err != nil {
		return err
	}
	if err := b.writeJSON("chat.json", toChat(chat)); err != nil {
		return err
	}
	invitations, err := x.Records.Invitations(ctx, inc.ID)
	if err != nil {
		return err
	}
	if err := b.writeJSON("invitations.json", toInvitations(invitations)); err != nil {
		return err
	}
	sessions, err := x.Records.Sessions(ctx, inc.Room)
	if err != nil {
		return err
	}
	access, err := x.Records.AccessLog(ctx, inc.Room)
	if err != nil {
		return err
	}
	return b.writeJSON("access.json", toAccessDoc(sessions, access))
}

func (x *Exporter) chat(ctx context.Context, room string) ([]store.ChatMessage, error) {
	all := []store.ChatMessage{}
	var after int64
	for {
		page, err := x.Records.ChatHistory(ctx, room, after, chatPage)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(page) < chatPage {
			return all, nil
		}
		after = page[len(page)-1].Seq
	}
}

// writeRecordings copies every regular file under the incident's
// recordings folder; none is fine (recording off, or purged).
func (x *Exporter) writeRecordings(ctx context.Context, b *bundleWriter, incident string) error {
	if x.RecordingsDir == "" {
		return nil
	}
	root := filepath.Join(x.RecordingsDir, incident)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return b.copy(path.Join("recordings", filepath.ToSlash(rel)), f)
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// writeFiles copies the files shared in the room, each once per sharing,
// and files.json, which says which bundle path holds which sharing. A file
// whose bytes are gone is listed as missing rather than failing the export:
// the rest of the evidence still matters.
func (x *Exporter) writeFiles(ctx context.Context, b *bundleWriter, incident string) error {
	if x.Files == nil {
		return b.writeJSON("files.json", []fileRecord{})
	}
	list, err := x.Files.IncidentFiles(ctx, incident)
	if err != nil {
		return err
	}
	out := make([]fileRecord, 0, len(list))
	for _, f := range list {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p := "files/" + f.ID + "-" + safeName(f.Name)
		r, err := x.Files.Open(f.SHA256)
		if errors.Is(err, fs.ErrNotExist) {
			out = append(out, toFile(f, ""))
			continue
		}
		if err != nil {
			return fmt.Errorf("file %s (%s): %w", f.ID, f.Name, err)
		}
		err = b.copy(p, r)
		r.Close()
		if err != nil {
			return fmt.Errorf("file %s (%s): %w", f.ID, f.Name, err)
		}
		out = append(out, toFile(f, p))
	}
	return b.writeJSON("files.json", out)
}

// bundleWriter writes zip entries and lists them in the manifest.
type bundleWriter struct {
	zw *zip.Writer
	m  *Manifest
}

func (b *bundleWriter) create(name string) (*hashingWriter, error) {
	method := zip.Store // recordings and images do not compress
	if strings.HasSuffix(name, ".json") {
		method = zip.Deflate
	}
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: b.m.ExportedAt})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return newHashingWriter(w), nil
}

func (b *bundleWriter) add(name string, hw *hashingWriter) {
	b.m.Files = append(b.m.Files, FileEntry{Path: name, SHA256: hw.sum(), Size: hw.size})
}

func (b *bundleWriter) copy(name string, r io.Reader) error {
	hw, err := b.create(name)
	if err != nil {
		return err
	}
	if _, err := io.Copy(hw, r); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b.add(name, hw)
	return nil
}

func (b *bundleWriter) writeJSON(name string, v any) error {
	hw, err := b.create(name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(hw)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b.add(name, hw)
	return nil
}

// finish writes the manifest and its signature and closes the zip.
func (b *bundleWriter) finish(key ed25519.PrivateKey) error {
	body, err := json.MarshalIndent(b.m, "", "  ")
	if err != nil {
		return err
	}
	w, err := b.zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: b.m.ExportedAt})
	if err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, body))
	if w, err = b.zw.CreateHeader(&zip.FileHeader{Name: SignatureName, Method: zip.Store, Modified: b.m.ExportedAt}); err != nil {
		return err
	}
	if _, err := io.WriteString(w, sig+"\n"); err != nil {
		return err
	}
	return b.zw.Close()
}

// safeName keeps a file name readable in a zip on any system: letters
// (accented ones too: zip names are UTF-8), digits, dot, dash and
// underscore; anything else becomes "_". A long name is cut before its
// extension, which is kept.
func safeName(name string) string {
	ext := path.Ext(name)
	if len(ext) > 10 {
		ext = ""
	}
	base := strings.TrimSuffix(name, ext)
	var sb strings.Builder
	n := 0
	for _, r := range base {
		if n >= 100 {
			break
		}
		n++
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), r == '.', r == '-', r == '_':
			sb.WriteRune(r)
		default:
			sb.WriteByte('_')
		}
	}
	for _, r := range ext {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' {
			sb.WriteRune(r)
		}
	}
	s := strings.TrimLeft(sb.String(), ".")
	if s == "" {
		return "file"
	}
	return s
}

// validID accepts incident ids that are safe as one path element.
func validID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
