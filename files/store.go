// Package files keeps the files shared in rooms: their bytes in
// <data>/files/<sha256>, content-addressed, and their metadata and every
// access in the database (store). The HTTP API (api.go) lets the members of
// a room upload, list, view, download and, for operators, withdraw them.
package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigie/store"
	"vigie/token"
)

// DefaultMaxSize is the upload limit when the configuration sets none.
const DefaultMaxSize = 500 << 20

// ErrTooLarge is returned when an upload goes over the size limit.
var ErrTooLarge = errors.New("file over the size limit")

// ErrBadHash is returned by Open for a name that is not a SHA-256.
var ErrBadHash = errors.New("not a SHA-256 in hexadecimal")

// DB is what files needs of the database.
type DB interface {
	AddFile(ctx context.Context, f store.File) (store.File, error)
	FileByID(ctx context.Context, room, id string) (store.File, error)
	Files(ctx context.Context, room string, withWithdrawn bool) ([]store.File, error)
	WithdrawFile(ctx context.Context, room, id string, at time.Time, byID, byName string) (store.File, error)
	RecordAccess(ctx context.Context, a store.Access) error
}

// Store keeps shared files. Set its fields, then call Init.
type Store struct {
	Dir     string // <data>/files
	DB      DB
	MaxSize int64 // bytes; DefaultMaxSize when 0
	Now     func() time.Time
}

// Init creates the directory.
func (s *Store) Init() error {
	if s.MaxSize <= 0 {
		s.MaxSize = DefaultMaxSize
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("files directory %s: %w", s.Dir, err)
	}
	return nil
}

// Upload says who shares a file where, and its name as sent.
type Upload struct {
	Room       string
	Name       string // as sent; SafeName cleans it
	UploaderID string
	Uploader   string // display name
}

// Save streams r to disk, hashing it on the way, and records the file. It
// never holds the file in memory and stops reading past MaxSize with
// ErrTooLarge.
func (s *Store) Save(ctx context.Context, r io.Reader, u Upload) (store.File, error) {
	tmp, err := os.CreateTemp(s.Dir, ".upload-*")
	if err != nil {
		return store.File{}, fmt.Errorf("upload: %w", err)
	}
	defer func() {
		tmp.Close()
		_ = os.Remove(tmp.Name()) // gone already once renamed
	}()
	h := sha256.New()
	sniff := &sniffer{}
	n, err := io.Copy(io.MultiWriter(tmp, h, sniff), io.LimitReader(r, s.MaxSize+1))
	if err != nil {
		return store.File{}, fmt.Errorf("upload: %w", err)
	}
	if n > s.MaxSize {
		return store.File{}, ErrTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return store.File{}, fmt.Errorf("upload: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return store.File{}, fmt.Errorf("upload: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if err := s.keep(tmp.Name(), sum); err != nil {
		return store.File{}, err
	}
	return s.DB.AddFile(ctx, store.File{
		ID: token.NewID("f_"), Room: u.Room, SHA256: sum, Name: SafeName(u.Name),
		ContentType: SniffType(sniff.buf), Size: n,
		UploaderID: u.UploaderID, UploaderName: u.Uploader, UploadedAt: s.Now(),
	})
}

// keep moves a finished upload to its content address and makes the
// rename durable. The same content uploaded twice is stored once.
func (s *Store) keep(tmp, sum string) error {
	final := s.Path(sum)
	if _, err := os.Stat(final); err == nil {
		return nil
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("upload: store %s: %w", sum, err)
	}
	dir, err := os.Open(s.Dir)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	defer dir.Close()
	if err := dir.Sync(); err != nil {
		return fmt.Errorf("upload: sync %s: %w", s.Dir, err)
	}
	return nil
}

// Path is where the bytes of a SHA-256 are stored.
func (s *Store) Path(sum string) string { return filepath.Join(s.Dir, sum) }

// Open opens the stored bytes of a SHA-256.
func (s *Store) Open(sum string) (*os.File, error) {
	if !validHash(sum) {
		return nil, fmt.Errorf("open file %q: %w", sum, ErrBadHash)
	}
	f, err := os.Open(s.Path(sum))
	if err != nil {
		return nil, fmt.Errorf("open file %s: %w", sum, err)
	}
	return f, nil
}

// List returns a room's files that are not withdrawn, oldest first.
func (s *Store) List(ctx context.Context, room string) ([]store.File, error) {
	return s.DB.Files(ctx, room, false)
}

// ListAll returns a room's files, withdrawn ones included (evidence).
func (s *Store) ListAll(ctx context.Context, room string) ([]store.File, error) {
	return s.DB.Files(ctx, room, true)
}

func validHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// sniffer keeps the first 512 bytes written, what http.DetectContentType
// reads.
type sniffer struct{ buf []byte }

func (s *sniffer) Write(p []byte) (int, error) {
	if room := 512 - len(s.buf); room > 0 {
		s.buf = append(s.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// SniffType tells a file's type from its first bytes, never from its name:
// images, PDF, MP4, WebM and plain text are served as what they are;
// anything else as application/octet-stream, as an attachment.
func SniffType(head []byte) string {
	switch t := http.DetectContentType(head); t {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp",
		"application/pdf", "video/mp4", "video/webm", "text/plain; charset=utf-8":
		return t
	}
	return "application/octet-stream"
}

// Inline reports whether a type is shown in the browser (images, video,
// PDF) rather than downloaded.
func Inline(contentType string) bool {
	return strings.HasPrefix(contentType, "image/") || strings.HasPrefix(contentType, "video/") ||
		contentType == "application/pdf"
}
