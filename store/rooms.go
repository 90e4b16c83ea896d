package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Room is the video conference of one incident.
type Room struct {
	ID        string
	Name      string
	CreatedAt time.Time
	ClosedAt  *time.Time // nil while the room is open
	Cameras   []string   // ids of the cameras it shows, in display order
}

const roomColumns = "id, name, created_at, closed_at"

// CreateRoom records a new room. Times are kept to the microsecond, in UTC.
func (s *Store) CreateRoom(ctx context.Context, r Room) error {
	if r.ID == "" || r.CreatedAt.IsZero() {
		return fmt.Errorf("create room %q: id and creation time are required", r.ID)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx,
		"INSERT INTO rooms ("+roomColumns+") VALUES ($1, $2, $3, $4)",
		r.ID, r.Name, formatTime(r.CreatedAt), formatTimePtr(r.ClosedAt))
	for i, cam := range r.Cameras {
		if err != nil {
			break
		}
		_, err = tx.ExecContext(ctx,
			"INSERT INTO room_cameras (room_id, camera_id, position) VALUES ($1, $2, $3)", r.ID, cam, i)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("create room %q: %w", r.ID, err)
	}
	return nil
}

// roomCameras reads the cameras of room id.
func (s *Store) roomCameras(ctx context.Context, id string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT camera_id FROM room_cameras WHERE room_id = $1 ORDER BY position", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cams []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cams = append(cams, c)
	}
	return cams, rows.Err()
}

// Room returns the room with the given id, or an error wrapping ErrNotFound.
func (s *Store) Room(ctx context.Context, id string) (Room, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+roomColumns+" FROM rooms WHERE id = $1", id)
	r, err := scanRoom(row)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err == nil {
		r.Cameras, err = s.roomCameras(ctx, id)
	}
	if err != nil {
		return Room{}, fmt.Errorf("room %q: %w", id, err)
	}
	return r, nil
}

// OpenRooms returns the rooms not closed yet, oldest first.
func (s *Store) OpenRooms(ctx context.Context) ([]Room, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+roomColumns+" FROM rooms WHERE closed_at IS NULL ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("open rooms: %w", err)
	}
	defer rows.Close()
	var rooms []Room
	for rows.Next() {
		r, err := scanRoom(rows)
		if err != nil {
			return nil, fmt.Errorf("open rooms: %w", err)
		}
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("open rooms: %w", err)
	}
	rows.Close() // before the next queries: the pool may hold one connection
	for i := range rooms {
		if rooms[i].Cameras, err = s.roomCameras(ctx, rooms[i].ID); err != nil {
			return nil, fmt.Errorf("open rooms: %w", err)
		}
	}
	return rooms, nil
}

// CloseRoom marks the room closed at the given time. Closing a closed room
// keeps its first closing time; an unknown room is ErrNotFound.
func (s *Store) CloseRoom(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx,
		"UPDATE rooms SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL", formatTime(at), id)
	if err == nil {
		err = s.requireRow(ctx, res, "rooms", id)
	}
	if err != nil {
		return fmt.Errorf("close room %q: %w", id, err)
	}
	return nil
}

func scanRoom(row rowScanner) (Room, error) {
	var r Room
	var created string
	var closed sql.NullString
	if err := row.Scan(&r.ID, &r.Name, &created, &closed); err != nil {
		return Room{}, err
	}
	var err error
	if r.CreatedAt, err = parseTime(created); err != nil {
		return Room{}, err
	}
	if r.ClosedAt, err = parseTimePtr(closed); err != nil {
		return Room{}, err
	}
	return r, nil
}
