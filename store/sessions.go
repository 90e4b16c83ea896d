package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Session is one participant's presence in a room, from join to leave.
type Session struct {
	ID            string
	RoomID        string
	ParticipantID string
	Name          string
	Role          string
	RemoteAddr    string
	UserAgent     string
	JoinedAt      time.Time
	LeftAt        *time.Time // nil while the participant is in the room
	LeaveReason   string
}

const sessionColumns = "id, room_id, participant_id, name, role, remote_addr, user_agent, joined_at, left_at, leave_reason"

// StartSession records a participant joining a room. A room that does not
// exist is ErrNotFound.
func (s *Store) StartSession(ctx context.Context, sess Session) error {
	if sess.ID == "" || sess.RoomID == "" || sess.JoinedAt.IsZero() {
		return fmt.Errorf("start session %q: id, room and join time are required", sess.ID)
	}
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO sessions ("+sessionColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		sess.ID, sess.RoomID, sess.ParticipantID, sess.Name, sess.Role, sess.RemoteAddr, sess.UserAgent,
		formatTime(sess.JoinedAt), formatTimePtr(sess.LeftAt), sess.LeaveReason)
	if isForeignKeyViolation(err) {
		return fmt.Errorf("start session %q: room %q: %w", sess.ID, sess.RoomID, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("start session %q: %w", sess.ID, err)
	}
	return nil
}

func isForeignKeyViolation(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// EndSession records a participant leaving. Ending an ended session keeps
// its first leave time and reason; an unknown session is ErrNotFound.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time, reason string) error {
	res, err := s.db.ExecContext(ctx,
		"UPDATE sessions SET left_at = $1, leave_reason = $2 WHERE id = $3 AND left_at IS NULL",
		formatTime(at), reason, id)
	if err == nil {
		err = s.requireRow(ctx, res, "sessions", id)
	}
	if err != nil {
		return fmt.Errorf("end session %q: %w", id, err)
	}
	return nil
}

// Sessions returns the sessions of a room in the order participants joined.
func (s *Store) Sessions(ctx context.Context, roomID string) ([]Session, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+sessionColumns+" FROM sessions WHERE room_id = $1 ORDER BY joined_at, id", roomID)
	if err != nil {
		return nil, fmt.Errorf("sessions of room %q: %w", roomID, err)
	}
	defer rows.Close()
	var sessions []Session
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("sessions of room %q: %w", roomID, err)
		}
		sessions = append(sessions, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sessions of room %q: %w", roomID, err)
	}
	return sessions, nil
}

// EndOpenSessions ends every session still open, at start-up after a crash
// and at shutdown, and returns how many it ended.
func (s *Store) EndOpenSessions(ctx context.Context, at time.Time, reason string) (int64, error) {
	res, err := s.db.ExecContext(ctx,
		"UPDATE sessions SET left_at = $1, leave_reason = $2 WHERE left_at IS NULL", formatTime(at), reason)
	if err != nil {
		return 0, fmt.Errorf("end open sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("end open sessions: %w", err)
	}
	return n, nil
}

func scanSession(row rowScanner) (Session, error) {
	var sess Session
	var joined string
	var left sql.NullString
	err := row.Scan(&sess.ID, &sess.RoomID, &sess.ParticipantID, &sess.Name, &sess.Role,
		&sess.RemoteAddr, &sess.UserAgent, &joined, &left, &sess.LeaveReason)
	if err != nil {
		return Session{}, err
	}
	if sess.JoinedAt, err = parseTime(joined); err != nil {
		return Session{}, err
	}
	if sess.LeftAt, err = parseTimePtr(left); err != nil {
		return Session{}, err
	}
	return sess, nil
}
