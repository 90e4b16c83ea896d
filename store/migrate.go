package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one schema change, from a file named NNNN_what.sql.
type migration struct {
	version int
	name    string
	sql     string
}

func embeddedMigrations() ([]migration, error) {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	return loadMigrations(sub)
}

// loadMigrations reads the .sql files of fsys, ordered by version. Versions
// must run 1, 2, 3... without gaps or duplicates, so that a missing or
// misnamed file cannot go unnoticed.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	var migs []migration
	for _, name := range names {
		m, err := readMigration(fsys, name)
		if err != nil {
			return nil, err
		}
		migs = append(migs, m)
	}
	slices.SortFunc(migs, func(a, b migration) int { return a.version - b.version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (gap or duplicate)", m.name, m.version, i+1)
		}
	}
	return migs, nil
}

func readMigration(fsys fs.FS, name string) (migration, error) {
	prefix, _, ok := strings.Cut(path.Base(name), "_")
	version, err := strconv.Atoi(prefix)
	if !ok || err != nil || version < 1 {
		return migration{}, fmt.Errorf("migration %s: name must be NNNN_what.sql", name)
	}
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return migration{}, fmt.Errorf("migration %s: %w", name, err)
	}
	return migration{version: version, name: name, sql: string(data)}, nil
}

// migrate applies, in order, every migration not yet recorded in
// schema_migrations. A database that records a version this build does not
// know was written by a newer vigie and is refused rather than misread.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	const create = `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`
	if _, err := s.db.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	if n := len(applied); n > 0 && applied[n-1] > len(migs) {
		return fmt.Errorf("schema version %d is newer than this vigie knows (%d); run a newer vigie or restore a backup",
			applied[n-1], len(migs))
	}
	for _, m := range migs {
		if slices.Contains(applied, m.version) {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// appliedVersions returns the recorded versions in ascending order.
func (s *Store) appliedVersions(ctx context.Context) ([]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT version FROM schema_migrations ORDER BY version")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var versions []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return versions, nil
}

// apply runs one migration and records it in the same transaction, so a
// failure leaves neither half a schema change nor a false record. Another
// vigie process that applied it meanwhile makes this a no-op.
func (s *Store) apply(ctx context.Context, m migration) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	defer tx.Rollback() // no-op after Commit
	var done int
	err = tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", m.version).Scan(&done)
	if err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	if done > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("migration %s: %w", m.name, err)
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
		m.version, formatTime(time.Now()))
	if err != nil {
		return fmt.Errorf("migration %s: record: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migration %s: commit: %w", m.name, err)
	}
	return nil
}
