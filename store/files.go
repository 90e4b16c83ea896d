package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// File is one file shared in a room. Its bytes are stored once per SHA256,
// outside the database.
type File struct {
	ID           string
	Room         string
	Incident     string // "" outside incident rooms
	SHA256       string
	Name         string // safe display name
	ContentType  string
	Size         int64
	UploaderID   string
	UploaderName string
	UploadedAt   time.Time
	WithdrawnAt  *time.Time
	WithdrawnBy  string
}

// Access is one access to a file or a camera: who, when, what.
type Access struct {
	Room      string            `json:"-"`
	At        time.Time         `json:"at"`
	Kind      string            `json:"kind"` // "file_shared", "file_viewed", "file_downloaded", "file_withdrawn", "camera_watch_started", "camera_watch_stopped"
	ActorID   string            `json:"actor_id"`
	ActorName string            `json:"actor_name"`
	Subject   string            `json:"subject"` // the file id or the camera id
	Detail    map[string]string `json:"detail"`  // a few more fields
}

// AddFile records a shared file and its upload in one transaction; in an
// incident room the upload goes on the incident's timeline. It returns f
// with its incident filled in.
func (s *Store) AddFile(ctx context.Context, f File) (File, error) {
	if f.ID == "" || f.Room == "" || f.SHA256 == "" || f.UploadedAt.IsZero() {
		return f, fmt.Errorf("file of room %q: id, room, hash and time are required", f.Room)
	}
	f.UploadedAt = f.UploadedAt.UTC().Truncate(time.Microsecond)
	err := s.filesTx(ctx, func(tx *sql.Tx) error {
		inc, err := roomIncidentTx(ctx, tx, f.Room)
		if err != nil {
			return err
		}
		f.Incident = inc
		_, err = tx.ExecContext(ctx,
			`INSERT INTO files (id, room_id, incident_id, sha256, name, content_type, size, uploader_id, uploader_name, uploaded_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			f.ID, f.Room, nullIfEmpty(inc), f.SHA256, f.Name, f.ContentType, f.Size, f.UploaderID, f.UploaderName, formatTime(f.UploadedAt))
		if err != nil {
			return err
		}
		return accessTx(ctx, tx, inc, Access{
			Room: f.Room, At: f.UploadedAt, Kind: "file_shared", ActorID: f.UploaderID, ActorName: f.UploaderName,
			Subject: f.ID, Detail: map[string]string{
				"name": f.Name, "sha256": f.SHA256, "type": f.ContentType, "size": fmt.Sprint(f.Size),
			},
		})
	})
	if err != nil {
		return f, fmt.Errorf("file %s of room %s: %w", f.ID, f.Room, err)
	}
	return f, nil
}

// FileByID returns a room's file, withdrawn or not.
func (s *Store) FileByID(ctx context.Context, room, id string) (File, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+fileColumns+" FROM files WHERE room_id = $1 AND id = $2", room, id)
	f, err := scanFile(row)
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("file %s of room %s: %w", id, room, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("file %s of room %s: %w", id, room, err)
	}
	return f, nil
}

// Files lists a room's files, oldest first; withdrawn ones only when
// withWithdrawn (an evidence export wants them, the room does not).
func (s *Store) Files(ctx context.Context, room string, withWithdrawn bool) ([]File, error) {
	q := "SELECT " + fileColumns + " FROM files WHERE room_id = $1"
	if !withWithdrawn {
		q += " AND withdrawn_at IS NULL"
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY uploaded_at, id", room)
	if err != nil {
		return nil, fmt.Errorf("files of room %s: %w", room, err)
	}
	defer rows.Close()
	list := []File{}
	for rows.Next() {
		f, err := scanFile(rows)
		if err != nil {
			return nil, fmt.Errorf("files of room %s: %w", room, err)
		}
		list = append(list, f)
	}
	return list, rows.Err()
}

// WithdrawFile marks a file withdrawn and logs who did it. Withdrawing it
// again changes nothing and returns the file as it is.
func (s *Store) WithdrawFile(ctx context.Context, room, id string, at time.Time, byID, byName string) (File, error) {
	at = at.UTC().Truncate(time.Microsecond)
	var f File
	err := s.filesTx(ctx, func(tx *sql.Tx) error {
		var err error
		f, err = scanFile(tx.QueryRowContext(ctx, "SELECT "+fileColumns+" FROM files WHERE room_id = $1 AND id = $2", room, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil || f.WithdrawnAt != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE files SET withdrawn_at = $1, withdrawn_by = $2 WHERE id = $3",
			formatTime(at), byID, id); err != nil {
			return err
		}
		f.WithdrawnAt, f.WithdrawnBy = &at, byID
		return accessTx(ctx, tx, f.Incident, Access{
			Room: room, At: at, Kind: "file_withdrawn", ActorID: byID, ActorName: byName, Subject: id,
			Detail: map[string]string{"name": f.Name, "sha256": f.SHA256},
		})
	})
	if err != nil {
		return f, fmt.Errorf("withdraw file %s of room %s: %w", id, room, err)
	}
	return f, nil
}

// RecordAccess logs an access in the room's access log and, in an
// incident room, on the incident's timeline.
func (s *Store) RecordAccess(ctx context.Context, a Access) error {
	if a.Room == "" || a.Kind == "" || a.At.IsZero() {
		return fmt.Errorf("access log: room, kind and time are required")
	}
	err := s.filesTx(ctx, func(tx *sql.Tx) error {
		inc, err := roomIncidentTx(ctx, tx, a.Room)
		if err != nil {
			return err
		}
		return accessTx(ctx, tx, inc, a)
	})
	if err != nil {
		return fmt.Errorf("access log of room %s: %w", a.Room, err)
	}
	return nil
}

// AccessLog returns a room's access log, oldest first.
func (s *Store) AccessLog(ctx context.Context, room string) ([]Access, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT at, kind, actor_id, actor_name, subject, detail FROM access_log WHERE room_id = $1 ORDER BY id", room)
	if err != nil {
		return nil, fmt.Errorf("access log of room %s: %w", room, err)
	}
	defer rows.Close()
	var list []Access
	for rows.Next() {
		a := Access{Room: room}
		var at, detail string
		if err := rows.Scan(&at, &a.Kind, &a.ActorID, &a.ActorName, &a.Subject, &detail); err != nil {
			return nil, fmt.Errorf("access log of room %s: %w", room, err)
		}
		if a.At, err = parseTime(at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(detail), &a.Detail); err != nil {
			return nil, fmt.Errorf("access log of room %s: %w", room, err)
		}
		list = append(list, a)
	}
	return list, rows.Err()
}

// accessTx writes a to the access log and, when incident is set, to its
// timeline.
func accessTx(ctx context.Context, tx *sql.Tx, incident string, a Access) error {
	a.At = a.At.UTC().Truncate(time.Microsecond)
	detail := map[string]string{}
	for k, v := range a.Detail {
		detail[k] = v
	}
	body, _ := json.Marshal(detail)
	if _, err := tx.ExecContext(ctx,
		"INSERT INTO access_log (room_id, at, kind, actor_id, actor_name, subject, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		a.Room, formatTime(a.At), a.Kind, a.ActorID, a.ActorName, a.Subject, string(body)); err != nil {
		return err
	}
	if incident == "" {
		return nil
	}
	detail["subject"], detail["actor_name"] = a.Subject, a.ActorName
	_, err := appendTx(ctx, tx, Entry{Incident: incident, At: a.At, Kind: a.Kind, Actor: a.ActorID, Detail: detail})
	return err
}

// roomIncidentTx returns the incident whose room is room, "" for none.
func roomIncidentTx(ctx context.Context, tx *sql.Tx, room string) (string, error) {
	var inc string
	err := tx.QueryRowContext(ctx, "SELECT id FROM incidents WHERE room_id = $1", room).Scan(&inc)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return inc, err
}

func (s *Store) filesTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

const fileColumns = "id, room_id, incident_id, sha256, name, content_type, size, uploader_id, uploader_name, uploaded_at, withdrawn_at, withdrawn_by"

func scanFile(row rowScanner) (File, error) {
	var f File
	var inc, withdrawnAt, withdrawnBy sql.NullString
	var uploaded string
	err := row.Scan(&f.ID, &f.Room, &inc, &f.SHA256, &f.Name, &f.ContentType, &f.Size,
		&f.UploaderID, &f.UploaderName, &uploaded, &withdrawnAt, &withdrawnBy)
	if err != nil {
		return f, err
	}
	f.Incident, f.WithdrawnBy = inc.String, withdrawnBy.String
	if f.UploadedAt, err = parseTime(uploaded); err != nil {
		return f, err
	}
	f.WithdrawnAt, err = parseTimePtr(withdrawnAt)
	return f, err
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
