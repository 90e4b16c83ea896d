package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ChatMessage is one chat message of a room. Seq numbers a room's messages
// from 1 in the order they were stored.
type ChatMessage struct {
	Room     string
	Seq      int64
	ID       string
	At       time.Time
	FromID   string
	FromName string
	Text     string
}

// AppendChat stores a chat message at the end of its room's chat and
// returns it with its sequence number. When the room is an incident's, the
// message goes on the incident's timeline in the same transaction.
func (s *Store) AppendChat(ctx context.Context, m ChatMessage) (ChatMessage, error) {
	if m.Room == "" || m.ID == "" || m.At.IsZero() {
		return m, fmt.Errorf("chat of room %q: room, id and time are required", m.Room)
	}
	m.At = m.At.UTC().Truncate(time.Microsecond)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return m, fmt.Errorf("chat of room %s: %w", m.Room, err)
	}
	defer func() { _ = tx.Rollback() }()
	if m, err = appendChatTx(ctx, tx, m); err != nil {
		return m, fmt.Errorf("chat of room %s: %w", m.Room, err)
	}
	if err := tx.Commit(); err != nil {
		return m, fmt.Errorf("chat of room %s: %w", m.Room, err)
	}
	return m, nil
}

func appendChatTx(ctx context.Context, tx *sql.Tx, m ChatMessage) (ChatMessage, error) {
	if err := tx.QueryRowContext(ctx,
		"SELECT COALESCE(MAX(seq), 0) + 1 FROM chat_messages WHERE room_id = $1", m.Room).Scan(&m.Seq); err != nil {
		return m, err
	}
	_, err := tx.ExecContext(ctx,
		"INSERT INTO chat_messages (room_id, seq, id, at, from_id, from_name, text) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		m.Room, m.Seq, m.ID, formatTime(m.At), m.FromID, m.FromName, m.Text)
	if err != nil {
		return m, err
	}
	var incident string
	err = tx.QueryRowContext(ctx, "SELECT id FROM incidents WHERE room_id = $1", m.Room).Scan(&incident)
	if errors.Is(err, sql.ErrNoRows) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	_, err = appendTx(ctx, tx, Entry{
		Incident: incident, At: m.At, Kind: "chat", Actor: m.FromID,
		Detail: map[string]string{"id": m.ID, "name": m.FromName, "text": m.Text},
	})
	return m, err
}

// ChatHistory returns, oldest first, the last limit messages of a room
// whose sequence number is above after.
func (s *Store) ChatHistory(ctx context.Context, room string, after int64, limit int) ([]ChatMessage, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT seq, id, at, from_id, from_name, text FROM (
			SELECT seq, id, at, from_id, from_name, text FROM chat_messages
			WHERE room_id = $1 AND seq > $2 ORDER BY seq DESC LIMIT $3
		) ORDER BY seq`, room, after, limit)
	if err != nil {
		return nil, fmt.Errorf("chat history of room %s: %w", room, err)
	}
	defer rows.Close()
	list := []ChatMessage{}
	for rows.Next() {
		m := ChatMessage{Room: room}
		var at string
		if err := rows.Scan(&m.Seq, &m.ID, &at, &m.FromID, &m.FromName, &m.Text); err != nil {
			return nil, fmt.Errorf("chat history of room %s: %w", room, err)
		}
		if m.At, err = parseTime(at); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chat history of room %s: %w", room, err)
	}
	return list, nil
}
