package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"time"

	"vigie/store"
)

// Format names the bundle layout; verify refuses any other.
const Format = "vigie-evidence/1"

// Names of the bundle's own entries.
const (
	ManifestName  = "manifest.json"
	SignatureName = "manifest.sig" // base64 ed25519 signature of manifest.json's bytes
)

// Manifest lists every other file of a bundle with its hash and size.
type Manifest struct {
	Format     string      `json:"format"`
	Incident   string      `json:"incident"`
	ExportedAt time.Time   `json:"exported_at"`
	Exporter   string      `json:"exporter"`
	Version    string      `json:"vigie_version"`
	PublicKey  string      `json:"public_key"` // base64 ed25519
	Files      []FileEntry `json:"files"`
}

// FileEntry is one file of a bundle.
type FileEntry struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// TimelineEntry is one timeline line in timeline.json, with the fields its
// hash covers, so that verify can recompute the chain as store does.
type TimelineEntry struct {
	Incident string            `json:"incident"`
	Seq      int64             `json:"seq"`
	At       time.Time         `json:"at"`
	Kind     string            `json:"kind"`
	Actor    string            `json:"actor"`
	Detail   map[string]string `json:"detail"`
	PrevHash string            `json:"prev_hash"`
	Hash     string            `json:"hash"`
}

func toTimeline(list []store.Entry) []TimelineEntry {
	out := make([]TimelineEntry, 0, len(list))
	for _, e := range list {
		te := TimelineEntry(e)
		te.At = te.At.UTC()
		out = append(out, te)
	}
	return out
}

func fromTimeline(list []TimelineEntry) []store.Entry {
	out := make([]store.Entry, 0, len(list))
	for _, e := range list {
		out = append(out, store.Entry(e))
	}
	return out
}

// hashingWriter counts and hashes what goes through it.
type hashingWriter struct {
	w    io.Writer
	h    hash.Hash
	size int64
}

func newHashingWriter(w io.Writer) *hashingWriter {
	return &hashingWriter{w: w, h: sha256.New()}
}

func (hw *hashingWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.size += int64(n)
	return n, err
}

func (hw *hashingWriter) sum() string { return hex.EncodeToString(hw.h.Sum(nil)) }
