package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrIncidentOpen is returned, wrapped, when retention is asked to purge an
// incident that is not closed.
var ErrIncidentOpen = errors.New("incident is open")

// ErrOnHold is returned, wrapped, when retention is asked to purge an
// incident on legal hold.
var ErrOnHold = errors.New("incident is on legal hold")

// SharedFile is one file shared in an incident's room, as the evidence
// bundle and retention see it (table files, migration 0007).
type SharedFile struct {
	ID           string     `json:"id"`
	Room         string     `json:"room"`
	SHA256       string     `json:"sha256"`
	Name         string     `json:"name"`
	ContentType  string     `json:"content_type"`
	Size         int64      `json:"size"`
	UploaderID   string     `json:"uploader_id"`
	UploaderName string     `json:"uploader_name"`
	UploadedAt   time.Time  `json:"uploaded_at"`
	WithdrawnAt  *time.Time `json:"withdrawn_at,omitempty"`
}

// LegalHold says why an incident is kept beyond retention.
type LegalHold struct {
	Incident string    `json:"incident"`
	Reason   string    `json:"reason"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// IncidentFiles returns the files shared in an incident's room, withdrawn
// ones included, in upload order.
func (s *Store) IncidentFiles(ctx context.Context, incident string) ([]SharedFile, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT f.id, f.room_id, f.sha256, f.name, f.content_type, f.size, f.uploader_id, f.uploader_name, f.uploaded_at, f.withdrawn_at
		FROM files f JOIN incidents i ON f.room_id = i.room_id OR f.incident_id = i.id
		WHERE i.id = $1 ORDER BY f.uploaded_at, f.id`, incident)
	if err != nil {
		return nil, fmt.Errorf("files of incident %s: %w", incident, err)
	}
	defer rows.Close()
	var list []SharedFile
	for rows.Next() {
		var f SharedFile
		var up string
		var wd sql.NullString
		if err := rows.Scan(&f.ID, &f.Room, &f.SHA256, &f.Name, &f.ContentType, &f.Size, &f.UploaderID, &f.UploaderName, &up, &wd); err != nil {
			return nil, fmt.Errorf("files of incident %s: %w", incident, err)
		}
		if f.UploadedAt, err = parseTime(up); err != nil {
			return nil, err
		}
		if f.WithdrawnAt, err = parseTimePtr(wd); err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	return list, rows.Err()
}

// Hold puts an incident on legal hold, on its timeline. Holding an incident
// already on hold changes nothing.
func (s *Store) Hold(ctx context.Context, h LegalHold) error {
	if h.Reason == "" {
		return fmt.Errorf("legal hold of %s: a reason is required", h.Incident)
	}
	return s.evidenceTx(ctx, "legal hold of "+h.Incident, func(tx *sql.Tx) error {
		if _, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", h.Incident)); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if held, err := holdTx(ctx, tx, h.Incident); err != nil || held != nil {
			return err
		}
		var purged int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM purges WHERE incident_id = $1", h.Incident).Scan(&purged)
		if err == nil {
			return errors.New("already purged: nothing left to hold")
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO legal_holds (incident_id, reason, held_by, held_at) VALUES ($1, $2, $3, $4)",
			h.Incident, h.Reason, h.By, formatTime(h.At)); err != nil {
			return err
		}
		_, err = appendTx(ctx, tx, Entry{Incident: h.Incident, At: h.At, Kind: "legal_hold", Actor: h.By, Detail: map[string]string{"reason": h.Reason}})
		return err
	})
}

// Release takes an incident off legal hold, on its timeline; retention
// then applies again. Releasing an incident not on hold changes nothing.
func (s *Store) Release(ctx context.Context, incident, reason, by string, at time.Time) error {
	return s.evidenceTx(ctx, "release of "+incident, func(tx *sql.Tx) error {
		held, err := holdTx(ctx, tx, incident)
		if err != nil || held == nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM legal_holds WHERE incident_id = $1", incident); err != nil {
			return err
		}
		_, err = appendTx(ctx, tx, Entry{Incident: incident, At: at, Kind: "legal_hold_released", Actor: by, Detail: map[string]string{"reason": reason}})
		return err
	})
}

// HoldOf returns an incident's legal hold, or nil when it has none.
func (s *Store) HoldOf(ctx context.Context, incident string) (*LegalHold, error) {
	var h *LegalHold
	err := s.evidenceTx(ctx, "legal hold of "+incident, func(tx *sql.Tx) error {
		var err error
		h, err = holdTx(ctx, tx, incident)
		return err
	})
	return h, err
}

func holdTx(ctx context.Context, tx *sql.Tx, incident string) (*LegalHold, error) {
	h := LegalHold{Incident: incident}
	var at string
	err := tx.QueryRowContext(ctx, "SELECT reason, held_by, held_at FROM legal_holds WHERE incident_id = $1", incident).Scan(&h.Reason, &h.By, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if h.At, err = parseTime(at); err != nil {
		return nil, err
	}
	return &h, nil
}

// PurgeDue returns the incidents closed at or before closedBy, neither on
// legal hold nor purged yet, oldest first.
func (s *Store) PurgeDue(ctx context.Context, closedBy time.Time) ([]Incident, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents
		WHERE closed_at IS NOT NULL AND closed_at <= $1
		AND id NOT IN (SELECT incident_id FROM legal_holds)
		AND id NOT IN (SELECT incident_id FROM purges)
		ORDER BY closed_at, id`, formatTime(closedBy))
	if err != nil {
		return nil, fmt.Errorf("incidents due for purge: %w", err)
	}
	defer rows.Close()
	var list []Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("incidents due for purge: %w", err)
		}
		list = append(list, inc)
	}
	return list, rows.Err()
}

// PurgedIncidents returns the ids of the incidents retention has purged.
func (s *Store) PurgedIncidents(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT incident_id FROM purges ORDER BY purged_at, incident_id")
	if err != nil {
		return nil, fmt.Errorf("purged incidents: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("purged incidents: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Purge deletes an incident's chat and shared-file records, marks it
// purged and puts the purge on its timeline, in one transaction. It refuses
// an open incident and one on legal hold. It returns the SHA-256 of the
// file contents no other room shares any more: the caller deletes those
// bytes. detail says what else the caller destroyed (recordings).
func (s *Store) Purge(ctx context.Context, incident string, at time.Time, by string, detail map[string]string) ([]string, error) {
	var orphans []string
	err := s.evidenceTx(ctx, "purge of "+incident, func(tx *sql.Tx) error {
		inc, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", incident))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if inc.ClosedAt == nil {
			return ErrIncidentOpen
		}
		if held, err := holdTx(ctx, tx, incident); err != nil {
			return err
		} else if held != nil {
			return ErrOnHold
		}
		if orphans, err = purgeRowsTx(ctx, tx, inc); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO purges (incident_id, purged_at, purged_by) VALUES ($1, $2, $3)",
			incident, formatTime(at), by); err != nil {
			return err
		}
		d := map[string]string{}
		for k, v := range detail {
			d[k] = v
		}
		d["files_deleted"] = fmt.Sprint(len(orphans))
		_, err = appendTx(ctx, tx, Entry{Incident: incident, At: at, Kind: "retention_purge", Actor: by, Detail: d})
		return err
	})
	return orphans, err
}

// purgeRowsTx deletes the chat and the file records of an incident's room
// and returns the hashes no remaining file record uses.
func purgeRowsTx(ctx context.Context, tx *sql.Tx, inc Incident) ([]string, error) {
	if _, err := tx.ExecContext(ctx, "DELETE FROM chat_messages WHERE room_id = $1", inc.Room); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT DISTINCT sha256 FROM files WHERE room_id = $1 OR incident_id = $2", inc.Room, inc.ID)
	if err != nil {
		return nil, err
	}
	var hashes []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			rows.Close()
			return nil, err
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM files WHERE room_id = $1 OR incident_id = $2", inc.Room, inc.ID); err != nil {
		return nil, err
	}
	var orphans []string
	for _, h := range hashes {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM files WHERE sha256 = $1 LIMIT 1", h).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			orphans = append(orphans, h)
			continue
		}
		if err != nil {
			return nil, err
		}
	}
	return orphans, nil
}

func (s *Store) evidenceTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err == nil {
		defer func() { _ = tx.Rollback() }()
		if err = fn(tx); err == nil {
			err = tx.Commit()
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
