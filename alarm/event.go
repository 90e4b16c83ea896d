// Package alarm receives alarms and turns each into an Event for the
// incident package: SIA DC-09 from alarm panels over TCP and UDP (this
// file set), and later an HTTP webhook and the operator's button. It never
// opens rooms itself: it hands Events to a Sink and acknowledges the sender
// only once the Sink has stored them.
package alarm

import (
	"context"
	"time"
)

// Kinds of Event.
const (
	KindHoldup    = "holdup"    // hold-up, silent or audible 24 h alarm
	KindPanic     = "panic"     // panic button
	KindDuress    = "duress"    // user under duress (code entered under threat)
	KindEmergency = "emergency" // personal or medical emergency
	KindRestore   = "restore"   // an alarm's end: timeline only
	KindTest      = "test"      // periodic or manual test report
	KindOther     = "other"     // any other or unknown code: timeline only
)

// Event is one alarm as every receiver reports it.
type Event struct {
	Site       string    // site id, from the account mapping ("" when unknown)
	Account    string    // the panel's account, upper-case
	Kind       string    // one of the Kind constants
	Opens      bool      // true: opens (or joins) an incident; false: timeline only
	Source     string    // "dc09-tcp", "dc09-udp"...
	OccurredAt time.Time // from the event's own time ([H] block or timestamp) when present, else ReceivedAt
	ReceivedAt time.Time
	Code       string // as the panel said it: "CID 1120 01 015", "SIA PA015"
	Zone       string
	Partition  string
	User       string
	Extras     map[string]string // "verification_url", "longitude", "latitude", "site_name", "location", "event_time", "text"...
	Raw        string            // the frame as received, non-printable bytes escaped
	DedupeKey  string            // the same alarm retransmitted has the same key
}

// Sink stores events and acts on them.
type Sink interface {
	// Alarm stores the event durably (and acts on it) before returning; the
	// receiver acknowledges the sender only after it returns nil. A duplicate
	// DedupeKey must be accepted (nil) without acting twice. Keys repeat when
	// a panel's 4-digit sequence wraps, so remember them for a bounded time
	// (hours), not forever.
	Alarm(ctx context.Context, e Event) error
}
