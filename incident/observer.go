package incident

import (
	"time"

	"vigie/config"
	"vigie/store"
)

// What became of an alarm, as Observer.AlarmRecorded reports it.
const (
	OutcomeOpened    = "opened"    // it opened an incident
	OutcomeJoined    = "joined"    // it went on the site's open incident
	OutcomeDuplicate = "duplicate" // a retransmission of an alarm already recorded
	OutcomeLogged    = "logged"    // recorded only: no incident to open (restore, test, unknown site)
)

// Observer is told what incidents do, for metrics. Its methods must not
// block.
type Observer interface {
	// AlarmRecorded: an alarm from source (alarm.Event.Source, or the
	// actor of Raise) was stored, with outcome one of the Outcome values.
	AlarmRecorded(source, outcome string)
	// InvitationsQueued: the committee's invitations of an incident an
	// alarm opened were stored in the outbox, this long after the alarm
	// arrived.
	InvitationsQueued(sinceAlarm time.Duration)
}

type noObserver struct{}

func (noObserver) AlarmRecorded(string, string)    {}
func (noObserver) InvitationsQueued(time.Duration) {}

func outcomeOf(out store.AlarmOutcome) string {
	switch {
	case out.Duplicate:
		return OutcomeDuplicate
	case out.Opened:
		return OutcomeOpened
	case out.Incident.ID != "":
		return OutcomeJoined
	}
	return OutcomeLogged
}

// observeInvited reports how long the committee's invitations took to be
// queued after the alarm arrived; a site without committee queues none.
func (s *Service) observeInvited(site config.Site, arrived time.Time) {
	if len(s.cfg.Directory.List(site, listCommittee)) == 0 {
		return
	}
	s.cfg.Observer.InvitationsQueued(max(s.cfg.Now().Sub(arrived), 0))
}
