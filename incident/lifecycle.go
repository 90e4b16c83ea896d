package incident

import (
	"context"
	"time"

	"vigie/notify"
	"vigie/store"
)

// Close ends an incident: its links stop working, its room closes and the
// people in it are told and taken out, its cameras stop being shown, and
// mail still being retried for it stops.
func (s *Service) Close(ctx context.Context, id, actor string) error {
	inc, err := s.cfg.Store.Incident(ctx, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.CloseIncident(ctx, id, s.cfg.Now().UTC(), actor); err != nil {
		return err
	}
	s.accessChanged()
	s.cfg.Cameras.Detach(inc.Room)
	s.stopRecording(id)
	if err := s.cfg.Mailer.Cancel(ctx, id); err != nil {
		s.cfg.Log.Warn("stop mail of a closed incident", "incident", id, "err", err)
	}
	s.cfg.Log.Info("incident closed", "incident", id, "by", actor)
	return nil
}

// OnMailStatus is the outbox's status hook: it never blocks.
func (s *Service) OnMailStatus(st notify.Status) {
	select {
	case s.mail <- st:
	default:
		s.cfg.Log.Warn("mail status dropped: queue full", "invitation", st.MessageID, "state", st.State)
	}
}

// recordMail records what became of an invitation's e-mail; the
// invitation's id is the message's.
func (s *Service) recordMail(ctx context.Context, st notify.Status) {
	var state string
	switch st.State {
	case notify.StateSent:
		state = store.InvitationSent
	case notify.StateFailed, notify.StateRetrying:
		state = store.InvitationFailed
	default:
		return
	}
	detail := map[string]string{"to": st.To}
	if st.Error != "" {
		detail["error"] = st.Error
	}
	if err := s.cfg.Store.MarkInvitation(ctx, st.MessageID, state, st.At, "mail", detail); err != nil {
		s.cfg.Log.Error("record mail status", "invitation", st.MessageID, "err", err)
	}
}

// Escalate alerts the escalation list of every open incident that nobody
// joined within EscalateAfter and that was not escalated yet.
func (s *Service) Escalate(ctx context.Context) error {
	open, err := s.cfg.Store.OpenIncidents(ctx)
	if err != nil {
		return err
	}
	now := s.cfg.Now()
	for _, inc := range open {
		if now.Sub(inc.OpenedAt) < s.cfg.EscalateAfter {
			continue
		}
		invs, err := s.cfg.Store.Invitations(ctx, inc.ID)
		if err != nil {
			return err
		}
		if joinedOrEscalated(invs) {
			continue
		}
		site, ok := s.cfg.Directory.Site(inc.Site)
		if !ok {
			continue
		}
		s.cfg.Log.Warn("nobody joined: alerting the escalation list", "incident", inc.ID, "after", now.Sub(inc.OpenedAt).Round(time.Second))
		if err := s.invite(ctx, inc, site, s.cfg.Directory.List(site, listEscalation), listEscalation, inc.OpenedAt); err != nil {
			return err
		}
	}
	return nil
}

func joinedOrEscalated(invs []store.Invitation) bool {
	for _, inv := range invs {
		if inv.JoinedAt != nil || inv.List == listEscalation {
			return true
		}
	}
	return false
}

// Run records mail statuses as they come and checks for escalations every
// interval, until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case st := <-s.mail:
			s.recordMail(ctx, st)
		case <-tick.C:
			if err := s.Escalate(ctx); err != nil && ctx.Err() == nil {
				s.cfg.Log.Error("escalation check", "err", err)
			}
		}
	}
}
