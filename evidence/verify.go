package evidence

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"vigie/store"
)

// Report is what verify found: the manifest when it could be read, and
// every problem, each naming the file or entry that fails.
type Report struct {
	Manifest *Manifest
	Problems []string
}

// OK reports whether the bundle is intact and signed by the expected key.
func (r Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) add(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// maxManifest bounds what verify reads into memory from the manifest and
// its signature; every other file is streamed.
const maxManifest = 64 << 20

// maxTimeline bounds timeline.json, which verify reads whole to recompute
// the hash chain.
const maxTimeline = 512 << 20

// VerifyFile checks the bundle at path. want is the expected public key,
// or nil to trust the key the manifest names (then only the fingerprint,
// compared by a person, ties the bundle to a server).
func VerifyFile(path string, want ed25519.PublicKey) (Report, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return Report{}, fmt.Errorf("verify %s: %w", path, err)
	}
	defer zr.Close()
	return Verify(&zr.Reader, want), nil
}

// Verify checks a bundle: the manifest's signature, every listed file's
// size and SHA-256, files missing or not listed, and the timeline's hash
// chain.
func Verify(zr *zip.Reader, want ed25519.PublicKey) Report {
	var r Report
	entries := map[string]*zip.File{}
	for _, f := range zr.File {
		if _, dup := entries[f.Name]; dup {
			r.add("%s: appears more than once in the zip", f.Name)
			continue
		}
		entries[f.Name] = f
	}
	body, ok := readSmall(&r, entries[ManifestName], ManifestName, maxManifest)
	if !ok {
		return r
	}
	var m Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		r.add("%s: not valid JSON, cannot be read: %v", ManifestName, err)
		return r
	}
	r.Manifest = &m
	if m.Format != Format {
		r.add("%s: format %q is not the expected %q", ManifestName, m.Format, Format)
	}
	checkSignature(&r, entries[SignatureName], body, m.PublicKey, want)
	listed := map[string]bool{ManifestName: true, SignatureName: true}
	for _, fe := range m.Files {
		if listed[fe.Path] {
			r.add("%s: listed more than once in the manifest", fe.Path)
			continue
		}
		listed[fe.Path] = true
		checkFile(&r, entries[fe.Path], fe)
	}
	var extra []string
	for name := range entries {
		if !listed[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range extra {
		r.add("%s: present but not in the manifest", name)
	}
	if entries["timeline.json"] != nil || !listed["timeline.json"] {
		checkTimeline(&r, entries["timeline.json"], m.Incident) // else already reported missing
	}
	return r
}

func readSmall(r *Report, f *zip.File, name string, limit int64) ([]byte, bool) {
	if f == nil {
		r.add("%s: missing from the zip", name)
		return nil, false
	}
	rc, err := f.Open()
	if err != nil {
		r.add("%s: cannot be read from the zip: %v", name, err)
		return nil, false
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		r.add("%s: cannot be read from the zip: %v", name, err)
		return nil, false
	}
	if int64(len(b)) > limit {
		r.add("%s: larger than %d bytes, too large to check", name, limit)
		return nil, false
	}
	return b, true
}

func checkSignature(r *Report, f *zip.File, manifest []byte, named string, want ed25519.PublicKey) {
	pub, err := ParsePublicKey(named)
	if err != nil {
		r.add("%s: its public_key is not a base64 ed25519 public key", ManifestName)
		return
	}
	if want != nil && !bytes.Equal(pub, want) {
		r.add("%s: signed with key %s, not the expected key %s", ManifestName, Fingerprint(pub), Fingerprint(want))
		return
	}
	b, ok := readSmall(r, f, SignatureName, 1024)
	if !ok {
		return
	}
	sig, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(b)))
	if err != nil || !ed25519.Verify(pub, manifest, sig) {
		r.add("%s: signature does not match %s", SignatureName, ManifestName)
	}
}

func checkFile(r *Report, f *zip.File, fe FileEntry) {
	if f == nil {
		r.add("%s: missing from the zip", fe.Path)
		return
	}
	rc, err := f.Open()
	if err != nil {
		r.add("%s: cannot be read from the zip: %v", fe.Path, err)
		return
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		r.add("%s: cannot be read from the zip: %v", fe.Path, err)
		return
	}
	if n != fe.Size {
		r.add("%s: size %d bytes, manifest says %d", fe.Path, n, fe.Size)
	}
	if hex.EncodeToString(h.Sum(nil)) != fe.SHA256 {
		r.add("%s: SHA-256 differs from the manifest: the content was changed", fe.Path)
	}
}

// checkTimeline recomputes the timeline's hash chain as store does.
func checkTimeline(r *Report, f *zip.File, incident string) {
	b, ok := readSmall(r, f, "timeline.json", maxTimeline)
	if !ok {
		return
	}
	var list []TimelineEntry
	if err := json.Unmarshal(b, &list); err != nil {
		r.add("timeline.json: not a valid timeline, cannot be read: %v", err)
		return
	}
	for _, e := range list {
		if e.Incident != incident {
			r.add("timeline.json: entry %d belongs to incident %q, not %q", e.Seq, e.Incident, incident)
			return
		}
	}
	if err := store.VerifyChain(fromTimeline(list)); err != nil {
		// store says "timeline entry N: …"; the file is the timeline.
		r.add("timeline.json: %s", strings.TrimPrefix(err.Error(), "timeline "))
	}
}
