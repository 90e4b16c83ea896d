// Package store keeps vigie's durable state in SQLite (pure Go, no cgo): the
// schema, its migrations and every query. No SQL lives outside this package.
//
// The SQL is written to port to PostgreSQL: $n placeholders, standard types,
// and times as fixed-width RFC 3339 UTC text.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned, wrapped, when a room or session does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open vigie database.
type Store struct {
	db   *sql.DB
	path string
}

// Every connection of the pool gets these settings: write-ahead logging so
// readers never block the writer, enforced foreign keys, a wait instead of an
// immediate "database is locked", and transactions that take the write lock
// up front so that two writers never deadlock upgrading a read lock.
const dsnParams = "?_pragma=busy_timeout(5000)" +
	"&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_txlock=immediate"

// maxOpenConns bounds the pool: SQLite has one writer at a time, so more
// connections only add waiting inside SQLite instead of in database/sql.
const maxOpenConns = 8

// Open opens the database at path, creating the file and its directory when
// missing, and brings the schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	return open(ctx, path, embeddedMigrations)
}

func open(ctx context.Context, path string, migrations func() ([]migration, error)) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("store %q: not a usable database file name", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o750); err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", abs+dsnParams)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxOpenConns)
	s := &Store{db: db, path: path}
	if err := s.init(ctx, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context, migrations func() ([]migration, error)) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, want wal (is the file on a network file system?)", mode)
	}
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return fmt.Errorf("read foreign_keys: %w", err)
	}
	if fk != 1 {
		return errors.New("foreign keys are not enforced")
	}
	migs, err := migrations()
	if err != nil {
		return err
	}
	return s.migrate(ctx, migs)
}

// Close writes the write-ahead log back into the database file, so that the
// file alone is a complete copy, and closes the database.
func (s *Store) Close() error {
	_, cerr := s.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store %s: close: %w", s.path, err)
	}
	if cerr != nil {
		return fmt.Errorf("store %s: checkpoint: %w", s.path, cerr)
	}
	return nil
}

// timeLayout is RFC 3339 in UTC with a fixed six fractional digits, so that
// stored times sort as text and round-trip through PostgreSQL's microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// formatTimePtr returns nil (SQL NULL) for a nil time.
func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

func parseTimePtr(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}

// requireRow turns an UPDATE that matched nothing into ErrNotFound unless
// the row exists (and was therefore already in the wanted state).
func (s *Store) requireRow(ctx context.Context, res sql.Result, table, id string) error {
	n, err := res.RowsAffected()
	if err != nil || n > 0 {
		return err
	}
	var one int
	err = s.db.QueryRowContext(ctx, "SELECT 1 FROM "+table+" WHERE id = $1", id).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
