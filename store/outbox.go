package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The states of an outbox message. Queued and retrying messages are pending:
// another attempt is due at NextAttemptAt. Sent and failed are final.
const (
	OutboxQueued   = "queued"
	OutboxRetrying = "retrying"
	OutboxSent     = "sent"
	OutboxFailed   = "failed"
)

// OutboxMessage is one invitation e-mail to one contact, stored rendered so
// that every attempt, before or after a restart, sends the same message.
type OutboxMessage struct {
	ID         string
	IncidentID string
	ContactID  string
	Address    string // the recipient's e-mail address
	Name       string // the recipient's name
	Lang       string
	Subject    string
	Text       string // the text/plain body
	HTML       string // the text/html body

	State         string
	Attempts      int
	NextAttemptAt *time.Time // nil once the state is final
	LastError     string     // the last failure, as the mail server or network reported it
	CreatedAt     time.Time
	UpdatedAt     time.Time // the last change of state
	SentAt        *time.Time
}

const outboxColumns = "id, incident_id, contact_id, address, name, lang, subject, body_text, body_html, " +
	"state, attempts, next_attempt_at, last_error, created_at, updated_at, sent_at"

// EnqueueMessages records new messages, all or none, as queued: due at their
// NextAttemptAt, or at once (CreatedAt) when it is nil. Their State,
// Attempts, LastError and SentAt are ignored. A message whose id is already
// stored is left as it is, so enqueueing twice never sends twice.
func (s *Store) EnqueueMessages(ctx context.Context, msgs []OutboxMessage) error {
	for _, m := range msgs {
		if m.ID == "" || m.IncidentID == "" || m.Address == "" || m.CreatedAt.IsZero() {
			return fmt.Errorf("enqueue message %q: id, incident, address and creation time are required", m.ID)
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("enqueue messages: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, m := range msgs {
		due := m.CreatedAt
		if m.NextAttemptAt != nil {
			due = *m.NextAttemptAt
		}
		_, err = tx.ExecContext(ctx,
			"INSERT INTO outbox ("+outboxColumns+") "+
				"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, '', $12, $13, NULL) "+
				"ON CONFLICT (id) DO NOTHING",
			m.ID, m.IncidentID, m.ContactID, m.Address, m.Name, m.Lang, m.Subject, m.Text, m.HTML,
			OutboxQueued, formatTime(due), formatTime(m.CreatedAt), formatTime(m.CreatedAt))
		if err != nil {
			return fmt.Errorf("enqueue message %q: %w", m.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("enqueue messages: %w", err)
	}
	return nil
}

// DueMessages returns at most limit pending messages whose next attempt is
// due at now, the longest waiting first.
func (s *Store) DueMessages(ctx context.Context, now time.Time, limit int) ([]OutboxMessage, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+outboxColumns+" FROM outbox WHERE next_attempt_at <= $1 "+
			"ORDER BY next_attempt_at, created_at, id LIMIT $2",
		formatTime(now), limit)
	if err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	msgs, err := scanOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("due messages: %w", err)
	}
	return msgs, nil
}

// IncidentMessages returns every message of an incident, oldest first: who
// was written to, and where each message stands.
func (s *Store) IncidentMessages(ctx context.Context, incident string) ([]OutboxMessage, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT "+outboxColumns+" FROM outbox WHERE incident_id = $1 ORDER BY created_at, id", incident)
	if err != nil {
		return nil, fmt.Errorf("messages of incident %q: %w", incident, err)
	}
	msgs, err := scanOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("messages of incident %q: %w", incident, err)
	}
	return msgs, nil
}

// MarkSent records that the mail server accepted the message. A message
// already marked sent keeps its first sending time; an unknown message is
// ErrNotFound.
func (s *Store) MarkSent(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx,
		"UPDATE outbox SET state = $1, attempts = attempts + 1, next_attempt_at = NULL, last_error = '', "+
			"updated_at = $2, sent_at = $3 WHERE id = $4 AND state <> $5",
		OutboxSent, formatTime(at), formatTime(at), id, OutboxSent)
	if err == nil {
		err = s.requireRow(ctx, res, "outbox", id)
	}
	if err != nil {
		return fmt.Errorf("mark message %q sent: %w", id, err)
	}
	return nil
}

// MarkFailed records a failed attempt. With a retry time the message is
// retried then, if it is still pending: one that CancelMessages ended stays
// ended. Without one it has failed for good, unless it was sent meanwhile.
// An unknown message is ErrNotFound.
func (s *Store) MarkFailed(ctx context.Context, id string, at time.Time, smtpErr string, retryAt *time.Time) error {
	var res sql.Result
	var err error
	if retryAt != nil {
		res, err = s.db.ExecContext(ctx,
			"UPDATE outbox SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_error = $3, "+
				"updated_at = $4 WHERE id = $5 AND next_attempt_at IS NOT NULL",
			OutboxRetrying, formatTime(*retryAt), smtpErr, formatTime(at), id)
	} else {
		res, err = s.db.ExecContext(ctx,
			"UPDATE outbox SET state = $1, attempts = attempts + 1, next_attempt_at = NULL, last_error = $2, "+
				"updated_at = $3 WHERE id = $4 AND state <> $5",
			OutboxFailed, smtpErr, formatTime(at), id, OutboxSent)
	}
	if err == nil {
		err = s.requireRow(ctx, res, "outbox", id)
	}
	if err != nil {
		return fmt.Errorf("mark message %q failed: %w", id, err)
	}
	return nil
}

// CancelMessages ends every pending message of an incident, as failed for
// the given reason, and returns the messages it ended.
func (s *Store) CancelMessages(ctx context.Context, incident string, at time.Time, reason string) ([]OutboxMessage, error) {
	rows, err := s.db.QueryContext(ctx,
		"UPDATE outbox SET state = $1, next_attempt_at = NULL, last_error = $2, updated_at = $3 "+
			"WHERE incident_id = $4 AND next_attempt_at IS NOT NULL RETURNING "+outboxColumns,
		OutboxFailed, reason, formatTime(at), incident)
	if err != nil {
		return nil, fmt.Errorf("cancel messages of incident %q: %w", incident, err)
	}
	msgs, err := scanOutboxRows(rows)
	if err != nil {
		return nil, fmt.Errorf("cancel messages of incident %q: %w", incident, err)
	}
	return msgs, nil
}

func scanOutboxRows(rows *sql.Rows) ([]OutboxMessage, error) {
	defer rows.Close()
	var msgs []OutboxMessage
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, rows.Err()
}

func scanOutbox(row rowScanner) (OutboxMessage, error) {
	var m OutboxMessage
	var created, updated string
	var next, sent sql.NullString
	err := row.Scan(&m.ID, &m.IncidentID, &m.ContactID, &m.Address, &m.Name, &m.Lang,
		&m.Subject, &m.Text, &m.HTML, &m.State, &m.Attempts, &next, &m.LastError, &created, &updated, &sent)
	if err != nil {
		return OutboxMessage{}, err
	}
	if m.CreatedAt, err = parseTime(created); err != nil {
		return OutboxMessage{}, err
	}
	if m.UpdatedAt, err = parseTime(updated); err != nil {
		return OutboxMessage{}, err
	}
	if m.NextAttemptAt, err = parseTimePtr(next); err != nil {
		return OutboxMessage{}, err
	}
	if m.SentAt, err = parseTimePtr(sent); err != nil {
		return OutboxMessage{}, err
	}
	return m, nil
}
