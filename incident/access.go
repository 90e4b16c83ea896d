package incident

import (
	"context"
	"errors"
	"strings"
	"time"

	"vigie/store"
	"vigie/token"
)

// Errors of CheckAccess, safe to show.
var (
	ErrRevoked = errors.New("this invitation has been withdrawn")
	ErrClosed  = errors.New("the incident is closed")
)

// isInvitation tells an incident invitation's token from a hand-made room's.
func isInvitation(c token.Claims) bool { return strings.HasPrefix(c.Subject, "v_") }

// CheckAccess refuses an invitation that was revoked or whose incident is
// closed. Tokens of rooms made by hand pass.
func (s *Service) CheckAccess(ctx context.Context, c token.Claims) error {
	if !isInvitation(c) {
		return nil
	}
	inv, err := s.cfg.Store.Invitation(ctx, c.Subject)
	if err != nil {
		return err
	}
	if inv.State == store.InvitationRevoked {
		return ErrRevoked
	}
	inc, err := s.cfg.Store.Incident(ctx, inv.Incident)
	if err != nil {
		return err
	}
	if inc.ClosedAt != nil || inc.Room != c.Room {
		return ErrClosed
	}
	return nil
}

// Opened records that a link was opened (the pre-join page was shown): a
// mail scanner does this too, so it is only "opened", never "joined".
func (s *Service) Opened(ctx context.Context, c token.Claims, userAgent string) {
	s.mark(ctx, c, store.InvitationOpened, map[string]string{"user_agent": userAgent})
}

// Joined records that the person clicked Join and entered the room.
func (s *Service) Joined(ctx context.Context, c token.Claims) {
	s.mark(ctx, c, store.InvitationJoined, nil)
}

func (s *Service) mark(ctx context.Context, c token.Claims, state string, detail map[string]string) {
	if !isInvitation(c) {
		return
	}
	if err := s.cfg.Store.MarkInvitation(ctx, c.Subject, state, s.cfg.Now().UTC(), c.Subject, detail); err != nil {
		s.cfg.Log.Error("record invitation", "invitation", c.Subject, "state", state, "err", err)
	}
}

// Revoke withdraws an invitation: its link stops working at once, and a
// person in the room with it is taken out.
func (s *Service) Revoke(ctx context.Context, invitation, actor string) error {
	if err := s.cfg.Store.MarkInvitation(ctx, invitation, store.InvitationRevoked, s.cfg.Now().UTC(), actor, nil); err != nil {
		return err
	}
	s.accessChanged()
	return nil
}

// accessChanged tells the rooms that a link may no longer let its holder in.
func (s *Service) accessChanged() {
	if s.cfg.AccessChanged != nil {
		s.cfg.AccessChanged()
	}
}

// Describe tells the pre-join page what the incident is: site, address,
// alarm kind and time. Nothing for a hand-made room.
func (s *Service) Describe(ctx context.Context, c token.Claims) map[string]string {
	if !isInvitation(c) {
		return nil
	}
	inv, err := s.cfg.Store.Invitation(ctx, c.Subject)
	if err != nil {
		return nil
	}
	inc, err := s.cfg.Store.Incident(ctx, inv.Incident)
	if err != nil {
		return nil
	}
	site, _ := s.cfg.Directory.Site(inc.Site)
	return map[string]string{
		"id": inc.ID, "site": site.Name, "address": site.Address, "kind": inc.Kind,
		"opened_at": inc.OpenedAt.UTC().Format(time.RFC3339),
	}
}
