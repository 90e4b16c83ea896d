package store

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestOpenSettings(t *testing.T) {
	s := openTest(t)
	tests := []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"synchronous", "1"}, // NORMAL
	}
	// Ask several pooled connections, not just the first one.
	conns := make([]*connProbe, 3)
	for i := range conns {
		conns[i] = newConnProbe(t, s)
	}
	for _, c := range conns {
		for _, tt := range tests {
			if got := c.pragma(tt.pragma); got != tt.want {
				t.Errorf("PRAGMA %s = %q, want %q", tt.pragma, got, tt.want)
			}
		}
	}
}

// connProbe holds one connection of the pool, so that probes taken together
// are distinct connections.
type connProbe struct {
	t    *testing.T
	conn *sql.Conn
}

func newConnProbe(t *testing.T, s *Store) *connProbe {
	t.Helper()
	conn, err := s.db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &connProbe{t: t, conn: conn}
}

func (c *connProbe) pragma(name string) string {
	var v string
	if err := c.conn.QueryRowContext(c.t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		c.t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestOpenTwiceKeepsVersions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "vigie.db")
	known, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range known {
		want = append(want, m.version)
	}
	for i := range 2 {
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatalf("Open #%d: %v", i+1, err)
		}
		got, err := s.appliedVersions(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Open #%d: applied versions %v, want %v", i+1, got, want)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("WAL file holds %d bytes after Close, want it checkpointed", fi.Size())
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(t.Context(),
		"INSERT INTO schema_migrations (version, applied_at) VALUES (999, '2031-01-01T00:00:00.000000Z')"); err != nil {
		t.Fatal(err)
	}
	s.Close()

	_, err = Open(t.Context(), path)
	if err == nil {
		t.Fatal("Open of a database from a newer vigie: want an error")
	}
	for _, want := range []string{path, "schema version 999 is newer than this vigie knows"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestFailedMigrationRollsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	migs := func() ([]migration, error) {
		return []migration{
			{1, "0001_a.sql", "CREATE TABLE a (id TEXT NOT NULL PRIMARY KEY);"},
			{2, "0002_b.sql", "CREATE TABLE b (id TEXT NOT NULL PRIMARY KEY); INSERT INTO nowhere VALUES (1);"},
		}, nil
	}
	_, err := open(t.Context(), path, migs)
	if err == nil || !strings.Contains(err.Error(), "migration 0002_b.sql") {
		t.Fatalf("err = %v, want a failure naming 0002_b.sql", err)
	}

	s, err := open(t.Context(), path, func() ([]migration, error) {
		m, _ := migs()
		return m[:1], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.appliedVersions(t.Context()); !slices.Equal(got, []int{1}) {
		t.Errorf("applied versions %v, want [1]: the failed migration must not be recorded", got)
	}
	var n int
	err = s.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM sqlite_master WHERE name = 'b'").Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("table b exists (n=%d, err=%v): the failed migration must be rolled back whole", n, err)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		files   fstest.MapFS
		want    []string
		wantErr string
	}{
		{"ordered by version", fstest.MapFS{"0002_b.sql": file("b"), "0001_a.sql": file("a"), "README": file("")},
			[]string{"0001_a.sql", "0002_b.sql"}, ""},
		{"gap", fstest.MapFS{"0001_a.sql": file("a"), "0003_c.sql": file("c")}, nil, "0003_c.sql: version 3, want 2"},
		{"duplicate", fstest.MapFS{"0001_a.sql": file("a"), "0001_b.sql": file("b")}, nil, "version 1, want 2"},
		{"bad name", fstest.MapFS{"first.sql": file("a")}, nil, "first.sql: name must be NNNN_what.sql"},
		{"version zero", fstest.MapFS{"0000_a.sql": file("a")}, nil, "name must be NNNN_what.sql"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			migs, err := loadMigrations(tt.files)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, m := range migs {
				names = append(names, m.name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("migrations %v, want %v", names, tt.want)
			}
		})
	}
}

func TestEmbeddedMigrationsLoad(t *testing.T) {
	migs, err := embeddedMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) < 2 || migs[0].name != "0001_rooms.sql" {
		t.Errorf("embedded migrations %v, want 0001_rooms.sql first", migs)
	}
}

func TestOpenBadPath(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"", "vigie.db?mode=ro", filepath.Join(blocker, "vigie.db")} {
		if s, err := Open(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q): want an error", path)
		} else if path != "" && !strings.Contains(err.Error(), path) {
			t.Errorf("Open(%q): error %q does not name the file", path, err)
		}
	}
}

func TestClosedStore(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "vigie.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenRooms(t.Context()); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("OpenRooms after Close: err = %v, want a closed-database error", err)
	}
}
