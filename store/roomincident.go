package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// OpenIncidentOfRoom returns the open incident whose room is roomID, or an
// error wrapping ErrNotFound when the room is no open incident's.
func (s *Store) OpenIncidentOfRoom(ctx context.Context, roomID string) (Incident, error) {
	inc, err := scanIncident(s.db.QueryRowContext(ctx,
		"SELECT "+incidentColumns+" FROM incidents WHERE room_id = $1 AND closed_at IS NULL", roomID))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return inc, fmt.Errorf("open incident of room %q: %w", roomID, err)
	}
	return inc, nil
}
