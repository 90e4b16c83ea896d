// Package notify e-mails the members of a site's crisis committee their
// personal link to an incident room: French and English templates, SMTP
// through go-mail, and an outbox that persists every message before sending
// it, retries with backoff and reports each recipient's status.
//
// It does not decide who is invited: the incident package hands it ready
// messages, one per contact.
package notify

import (
	"context"
	"errors"
	"time"

	"vigie/store"
)

// Message is one invitation to one contact.
type Message struct {
	ID          string // outbox id (from the store); the outbox makes one when empty
	Incident    string
	Contact     string // contact id
	To          string // e-mail address
	Name        string // recipient's name
	Lang        string // "fr" or "en"; anything else is French
	Site        string // site name, e.g. "Bureau de poste de Marseille Joliette"
	Address     string
	Kind        string // "holdup", "panic", "duress", "emergency", "other"
	OccurredAt  time.Time
	Link        string // the personal join link
	CentrePhone string // the monitoring centre's phone number ("" = not shown)
}

// Rendered is one e-mail ready to send.
type Rendered struct {
	To, ToName, Subject, Text, HTML string
	// MessageID is the Message-ID without its angle brackets. Without an "@"
	// it is only the unique left part, and the SMTP transport adds the
	// sender's domain; empty, the transport makes a random one.
	MessageID string
}

// Transport sends one rendered e-mail.
//
// An error that wraps ErrRejected means the mail server refused this message
// for good (a 5xx reply): the outbox does not retry it. Any other error is
// taken as temporary.
type Transport interface {
	Send(ctx context.Context, m Rendered) error
}

// ErrRejected marks a refusal that sending again cannot mend: the server
// answered 5xx to this message, or its address cannot be written.
var ErrRejected = errors.New("message rejected")

// rejected wraps err so that errors.Is(err, ErrRejected) holds, keeping its
// text: the server's reply is what the operator needs to read.
func rejected(err error) error { return rejectedError{err} }

type rejectedError struct{ err error }

func (e rejectedError) Error() string   { return e.err.Error() }
func (e rejectedError) Unwrap() []error { return []error{ErrRejected, e.err} }

// The states a message goes through, as Status.State.
const (
	StateQueued   = store.OutboxQueued   // stored, not tried yet
	StateSent     = store.OutboxSent     // the mail server accepted it
	StateRetrying = store.OutboxRetrying // an attempt failed; another one is due
	StateFailed   = store.OutboxFailed   // given up: refused, too old, or its incident closed
)

// Status is one change in a message's delivery, for the operator console.
type Status struct {
	MessageID, Incident, Contact, To string
	State                            string // "queued", "sent", "failed", "retrying"
	Error                            string // why the last attempt failed
	At                               time.Time
}
