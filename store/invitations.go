package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Invitation is one contact's personal link to one incident.
type Invitation struct {
	ID        string
	Incident  string
	Contact   string
	Name      string
	Email     string
	Role      string // responder, committee or observer
	Lang      string
	List      string // committee or escalation
	CreatedAt time.Time
	State     string // created, sent, failed, opened, joined, revoked
	OpenedAt  *time.Time
	JoinedAt  *time.Time
	RevokedAt *time.Time
}

// Invitation states.
const (
	InvitationCreated = "created"
	InvitationSent    = "sent"
	InvitationFailed  = "failed"
	InvitationOpened  = "opened"
	InvitationJoined  = "joined"
	InvitationRevoked = "revoked"
)

const invitationColumns = "id, incident_id, contact_id, name, email, role, lang, list, created_at, state, opened_at, joined_at, revoked_at"

// CreateInvitations records invitations, each on its incident's timeline;
// a contact already invited to the incident is left as it is. It returns
// the invitations created now.
func (s *Store) CreateInvitations(ctx context.Context, list []Invitation) ([]Invitation, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("create invitations: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var created []Invitation
	for _, inv := range list {
		var one int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM invitations WHERE incident_id = $1 AND contact_id = $2", inv.Incident, inv.Contact).Scan(&one)
		if err == nil {
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("create invitations: %w", err)
		}
		inv.State = InvitationCreated
		if _, err := tx.ExecContext(ctx, "INSERT INTO invitations ("+invitationColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, NULL)",
			inv.ID, inv.Incident, inv.Contact, inv.Name, inv.Email, inv.Role, inv.Lang, inv.List, formatTime(inv.CreatedAt), inv.State); err != nil {
			return nil, fmt.Errorf("create invitation for %s: %w", inv.Contact, err)
		}
		if _, err := appendTx(ctx, tx, Entry{Incident: inv.Incident, At: inv.CreatedAt, Kind: "invited", Actor: "system",
			Detail: map[string]string{"invitation": inv.ID, "contact": inv.Contact, "email": inv.Email, "role": inv.Role, "list": inv.List}}); err != nil {
			return nil, err
		}
		created = append(created, inv)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("create invitations: %w", err)
	}
	return created, nil
}

// Invitation returns one invitation, or an error wrapping ErrNotFound.
func (s *Store) Invitation(ctx context.Context, id string) (Invitation, error) {
	inv, err := scanInvitation(s.db.QueryRowContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return inv, fmt.Errorf("invitation %q: %w", id, err)
	}
	return inv, nil
}

// Invitations lists an incident's invitations in the order they were made.
func (s *Store) Invitations(ctx context.Context, incident string) ([]Invitation, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE incident_id = $1 ORDER BY created_at, id", incident)
	if err != nil {
		return nil, fmt.Errorf("invitations of %s: %w", incident, err)
	}
	defer rows.Close()
	var list []Invitation
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("invitations of %s: %w", incident, err)
		}
		list = append(list, inv)
	}
	return list, rows.Err()
}

// MarkInvitation records what happened to an invitation (sent, failed,
// opened, joined, revoked) on it and on the timeline. A revoked invitation
// changes no more; opened and joined keep their first time.
func (s *Store) MarkInvitation(ctx context.Context, id, state string, at time.Time, actor string, detail map[string]string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("invitation %q: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	inv, err := scanInvitation(tx.QueryRowContext(ctx, "SELECT "+invitationColumns+" FROM invitations WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("invitation %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("invitation %q: %w", id, err)
	}
	if inv.State == InvitationRevoked {
		return nil
	}
	query, args := markQuery(id, state, at)
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("invitation %q: %w", id, err)
	}
	d := map[string]string{"invitation": id, "contact": inv.Contact}
	for k, v := range detail {
		d[k] = v
	}
	if _, err := appendTx(ctx, tx, Entry{Incident: inv.Incident, At: at, Kind: "invitation_" + state, Actor: actor, Detail: d}); err != nil {
		return err
	}
	return tx.Commit()
}

// markQuery sets the state and, for opened, joined and revoked, the first
// time it happened. Joined is not set back to opened, nor opened or joined
// back to sent or failed.
func markQuery(id, state string, at time.Time) (string, []any) {
	switch state {
	case InvitationOpened:
		return "UPDATE invitations SET state = CASE WHEN state = 'joined' THEN state ELSE $1 END, opened_at = COALESCE(opened_at, $2) WHERE id = $3",
			[]any{state, formatTime(at), id}
	case InvitationJoined:
		return "UPDATE invitations SET state = $1, joined_at = COALESCE(joined_at, $2) WHERE id = $3", []any{state, formatTime(at), id}
	case InvitationRevoked:
		return "UPDATE invitations SET state = $1, revoked_at = $2 WHERE id = $3", []any{state, formatTime(at), id}
	}
	return "UPDATE invitations SET state = CASE WHEN state IN ('opened', 'joined') THEN state ELSE $1 END WHERE id = $2", []any{state, id}
}

func scanInvitation(row rowScanner) (Invitation, error) {
	var inv Invitation
	var created string
	var opened, joined, revoked sql.NullString
	if err := row.Scan(&inv.ID, &inv.Incident, &inv.Contact, &inv.Name, &inv.Email, &inv.Role, &inv.Lang, &inv.List,
		&created, &inv.State, &opened, &joined, &revoked); err != nil {
		return inv, err
	}
	var err error
	if inv.CreatedAt, err = parseTime(created); err != nil {
		return inv, err
	}
	if inv.OpenedAt, err = parseTimePtr(opened); err != nil {
		return inv, err
	}
	if inv.JoinedAt, err = parseTimePtr(joined); err != nil {
		return inv, err
	}
	inv.RevokedAt, err = parseTimePtr(revoked)
	return inv, err
}
