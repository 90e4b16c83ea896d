package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Incident is an alarm on a site and the room it opened.
type Incident struct {
	ID       string
	Site     string
	Room     string
	Kind     string
	Source   string
	OpenedAt time.Time
	ClosedAt *time.Time
}

// Alarm is one alarm as received, kept once per dedupe key.
type Alarm struct {
	ID          string
	DedupeKey   string
	DedupeSince time.Time // an alarm with the same key received since then is the same alarm
	Site        string
	Kind        string
	Source      string
	Code        string
	OccurredAt  time.Time
	ReceivedAt  time.Time
	Raw         string
	Opens       bool // may open an incident
	Detail      map[string]string
}

// AlarmOutcome says what an alarm did.
type AlarmOutcome struct {
	Incident  Incident // zero when the alarm joined no incident
	Opened    bool     // this alarm opened Incident
	Duplicate bool     // the alarm was already recorded: nothing changed
}

const incidentColumns = "id, site_id, room_id, kind, source, opened_at, closed_at"

// RecordAlarm stores an alarm, once. When its site has an open incident the
// alarm goes on that incident's timeline; otherwise an alarm that opens
// creates newIncident and its room, in the same transaction, so that two
// alarms at once never open two incidents for one site.
func (s *Store) RecordAlarm(ctx context.Context, a Alarm, newIncident Incident, newRoom Room) (AlarmOutcome, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return AlarmOutcome{}, fmt.Errorf("record alarm: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	out, err := recordAlarmTx(ctx, tx, a, newIncident, newRoom)
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return AlarmOutcome{}, fmt.Errorf("record alarm %s: %w", a.DedupeKey, err)
	}
	return out, nil
}

func recordAlarmTx(ctx context.Context, tx *sql.Tx, a Alarm, inc Incident, room Room) (AlarmOutcome, error) {
	var incidentID sql.NullString
	err := tx.QueryRowContext(ctx,
		"SELECT incident_id FROM alarms WHERE dedupe_key = $1 AND received_at >= $2 ORDER BY received_at DESC LIMIT 1",
		a.DedupeKey, formatTime(a.DedupeSince)).Scan(&incidentID)
	if err == nil {
		out := AlarmOutcome{Duplicate: true}
		if incidentID.Valid {
			out.Incident, err = scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", incidentID.String))
		}
		return out, err
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return AlarmOutcome{}, err
	}
	var out AlarmOutcome
	out.Incident, err = scanIncident(tx.QueryRowContext(ctx,
		"SELECT "+incidentColumns+" FROM incidents WHERE site_id = $1 AND closed_at IS NULL", a.Site))
	switch {
	case err == nil:
	case !errors.Is(err, sql.ErrNoRows):
		return out, err
	case a.Opens && inc.ID != "":
		if err := insertIncidentTx(ctx, tx, inc, room); err != nil {
			return out, err
		}
		out.Incident, out.Opened = inc, true
	}
	if err := insertAlarmTx(ctx, tx, a, out.Incident.ID); err != nil {
		return out, err
	}
	if out.Incident.ID == "" {
		return out, nil
	}
	detail := map[string]string{"kind": a.Kind, "source": a.Source, "code": a.Code, "occurred_at": formatTime(a.OccurredAt)}
	for k, v := range a.Detail {
		detail[k] = v
	}
	if _, err := appendTx(ctx, tx, Entry{Incident: out.Incident.ID, At: a.ReceivedAt, Kind: "alarm", Actor: a.Source, Detail: detail}); err != nil {
		return out, err
	}
	if out.Opened {
		_, err = appendTx(ctx, tx, Entry{Incident: inc.ID, At: inc.OpenedAt, Kind: "incident_opened", Actor: "system",
			Detail: map[string]string{"site": inc.Site, "room": inc.Room}})
	}
	return out, err
}

func insertIncidentTx(ctx context.Context, tx *sql.Tx, inc Incident, room Room) error {
	if _, err := tx.ExecContext(ctx, "INSERT INTO rooms ("+roomColumns+") VALUES ($1, $2, $3, NULL)",
		room.ID, room.Name, formatTime(room.CreatedAt)); err != nil {
		return err
	}
	for i, cam := range room.Cameras {
		if _, err := tx.ExecContext(ctx,
			"INSERT INTO room_cameras (room_id, camera_id, position) VALUES ($1, $2, $3)", room.ID, cam, i); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, "INSERT INTO incidents ("+incidentColumns+") VALUES ($1, $2, $3, $4, $5, $6, NULL)",
		inc.ID, inc.Site, inc.Room, inc.Kind, inc.Source, formatTime(inc.OpenedAt))
	return err
}

func insertAlarmTx(ctx context.Context, tx *sql.Tx, a Alarm, incident string) error {
	var inc any
	if incident != "" {
		inc = incident
	}
	_, err := tx.ExecContext(ctx,
		"INSERT INTO alarms (id, dedupe_key, incident_id, site_id, kind, source, code, occurred_at, received_at, raw) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		a.ID, a.DedupeKey, inc, a.Site, a.Kind, a.Source, a.Code, formatTime(a.OccurredAt), formatTime(a.ReceivedAt), a.Raw)
	return err
}

// Incident returns one incident, or an error wrapping ErrNotFound.
func (s *Store) Incident(ctx context.Context, id string) (Incident, error) {
	inc, err := scanIncident(s.db.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return inc, fmt.Errorf("incident %q: %w", id, err)
	}
	return inc, nil
}

// OpenIncidents returns the incidents not closed yet, oldest first.
func (s *Store) OpenIncidents(ctx context.Context) ([]Incident, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE closed_at IS NULL ORDER BY opened_at, id")
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	defer rows.Close()
	var list []Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("open incidents: %w", err)
		}
		list = append(list, inc)
	}
	return list, rows.Err()
}

// CloseIncident closes an incident and its room, on its timeline.
func (s *Store) CloseIncident(ctx context.Context, id string, at time.Time, actor string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("close incident %q: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	inc, err := scanIncident(tx.QueryRowContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("close incident %q: %w", id, ErrNotFound)
	}
	if err != nil || inc.ClosedAt != nil {
		return err // already closed: the first closing stands
	}
	if _, err = tx.ExecContext(ctx, "UPDATE incidents SET closed_at = $1 WHERE id = $2", formatTime(at), id); err == nil {
		_, err = tx.ExecContext(ctx, "UPDATE rooms SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL", formatTime(at), inc.Room)
	}
	if err == nil {
		_, err = appendTx(ctx, tx, Entry{Incident: id, At: at, Kind: "incident_closed", Actor: actor})
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fmt.Errorf("close incident %q: %w", id, err)
	}
	return nil
}

func scanIncident(row rowScanner) (Incident, error) {
	var inc Incident
	var opened string
	var closed sql.NullString
	if err := row.Scan(&inc.ID, &inc.Site, &inc.Room, &inc.Kind, &inc.Source, &opened, &closed); err != nil {
		return inc, err
	}
	var err error
	if inc.OpenedAt, err = parseTime(opened); err != nil {
		return inc, err
	}
	inc.ClosedAt, err = parseTimePtr(closed)
	return inc, err
}
