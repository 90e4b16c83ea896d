package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Entry is one line of an incident's timeline.
type Entry struct {
	Incident string
	Seq      int64
	At       time.Time
	Kind     string            // "alarm", "incident_opened", "invited", "mail_sent", "joined", ...
	Actor    string            // who: "system", an operator, a contact id
	Detail   map[string]string // what, in a few fields
	PrevHash string
	Hash     string
}

// genesis is the previous hash of an incident's first entry.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// entryHash chains an entry to the previous one: SHA-256 over the previous
// hash and the entry's fields, JSON-encoded with sorted keys.
func entryHash(e Entry) (string, error) {
	body, err := json.Marshal(struct {
		Incident string            `json:"incident"`
		Seq      int64             `json:"seq"`
		At       string            `json:"at"`
		Kind     string            `json:"kind"`
		Actor    string            `json:"actor"`
		Detail   map[string]string `json:"detail"`
		Prev     string            `json:"prev"`
	}{e.Incident, e.Seq, formatTime(e.At), e.Kind, e.Actor, e.Detail, e.PrevHash})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), nil
}

// Append adds an entry at the end of its incident's timeline and returns
// it with its sequence number and hashes.
func (s *Store) Append(ctx context.Context, e Entry) (Entry, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return e, fmt.Errorf("timeline %s: %w", e.Incident, err)
	}
	defer func() { _ = tx.Rollback() }()
	if e, err = appendTx(ctx, tx, e); err != nil {
		return e, err
	}
	if err := tx.Commit(); err != nil {
		return e, fmt.Errorf("timeline %s: %w", e.Incident, err)
	}
	return e, nil
}

func appendTx(ctx context.Context, tx *sql.Tx, e Entry) (Entry, error) {
	e.PrevHash, e.Seq = genesis, 1
	err := tx.QueryRowContext(ctx,
		"SELECT seq, hash FROM timeline WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1", e.Incident).
		Scan(&e.Seq, &e.PrevHash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		e.PrevHash, e.Seq = genesis, 1
	case err != nil:
		return e, fmt.Errorf("timeline %s: %w", e.Incident, err)
	default:
		e.Seq++
	}
	if e.Detail == nil {
		e.Detail = map[string]string{}
	}
	e.At = e.At.UTC().Truncate(time.Microsecond)
	if e.Hash, err = entryHash(e); err != nil {
		return e, fmt.Errorf("timeline %s: %w", e.Incident, err)
	}
	detail, _ := json.Marshal(e.Detail)
	_, err = tx.ExecContext(ctx,
		"INSERT INTO timeline (incident_id, seq, at, kind, actor, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		e.Incident, e.Seq, formatTime(e.At), e.Kind, e.Actor, string(detail), e.PrevHash, e.Hash)
	if err != nil {
		return e, fmt.Errorf("timeline %s: %w", e.Incident, err)
	}
	return e, nil
}

// Timeline returns an incident's entries in order.
func (s *Store) Timeline(ctx context.Context, incident string) ([]Entry, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT seq, at, kind, actor, detail, prev_hash, hash FROM timeline WHERE incident_id = $1 ORDER BY seq", incident)
	if err != nil {
		return nil, fmt.Errorf("timeline %s: %w", incident, err)
	}
	defer rows.Close()
	var list []Entry
	for rows.Next() {
		e := Entry{Incident: incident}
		var at, detail string
		if err := rows.Scan(&e.Seq, &at, &e.Kind, &e.Actor, &detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("timeline %s: %w", incident, err)
		}
		if e.At, err = parseTime(at); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, fmt.Errorf("timeline %s entry %d: %w", incident, e.Seq, err)
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// VerifyChain checks that every entry's hash is right and links to the one
// before; it names the first entry that does not.
func VerifyChain(entries []Entry) error {
	prev := genesis
	for i, e := range entries {
		if e.Seq != int64(i+1) {
			return fmt.Errorf("timeline entry %d: sequence %d, an entry is missing", i+1, e.Seq)
		}
		if e.PrevHash != prev {
			return fmt.Errorf("timeline entry %d: does not follow entry %d", e.Seq, e.Seq-1)
		}
		want, err := entryHash(e)
		if err != nil {
			return err
		}
		if e.Hash != want {
			return fmt.Errorf("timeline entry %d: altered (hash mismatch)", e.Seq)
		}
		prev = e.Hash
	}
	return nil
}
