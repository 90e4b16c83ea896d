// Package incident runs an incident's life: an alarm for a site opens an
// incident (or joins the one already open), with its room, the site's
// cameras and a personal invitation e-mailed to each member of the site's
// crisis committee; nobody joining in time alerts the escalation list; the
// operator closes it. Every step is on the incident's hash-chained
// timeline. It speaks neither SMTP nor RTP: mail goes through a Mailer,
// cameras through the camera registry.
package incident

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"vigie/alarm"
	"vigie/config"
	"vigie/notify"
	"vigie/store"
	"vigie/token"
)

// Lists of contacts.
const (
	listCommittee  = "committee"
	listEscalation = "escalation"
	listAdded      = "added" // invited by the operator during the incident
)

// Store is what incidents need of the database.
type Store interface {
	RecordAlarm(ctx context.Context, a store.Alarm, inc store.Incident, room store.Room) (store.AlarmOutcome, error)
	CreateInvitations(ctx context.Context, list []store.Invitation) ([]store.Invitation, error)
	Invitations(ctx context.Context, incident string) ([]store.Invitation, error)
	Invitation(ctx context.Context, id string) (store.Invitation, error)
	MarkInvitation(ctx context.Context, id, state string, at time.Time, actor string, detail map[string]string) error
	Incident(ctx context.Context, id string) (store.Incident, error)
	OpenIncidents(ctx context.Context) ([]store.Incident, error)
	CloseIncident(ctx context.Context, id string, at time.Time, actor string) error
}

// Cameras shows a site's cameras in an incident's room.
type Cameras interface {
	Attach(roomID string, ids []string) error
	Detach(roomID string)
}

// Mailer sends invitations and stops retrying those of a closed incident.
type Mailer interface {
	Send(ctx context.Context, msgs []notify.Message) error
	Cancel(ctx context.Context, incident string) error
}

// Config wires a Service.
type Config struct {
	Store       Store
	Cameras     Cameras
	Mailer      Mailer
	Tokens      *token.Signer
	Directory   *Directory
	PublicURL   string // base of the links
	CentrePhone string // printed in e-mails
	// EscalateAfter alerts the escalation list when nobody has joined this
	// long after opening (default 5 min).
	EscalateAfter time.Duration
	// DedupeWindow: an alarm with the same dedupe key within it is a
	// retransmission (default 6 h).
	DedupeWindow time.Duration
	// LinkTTL bounds a link's life even if the incident stays open
	// (default 7 days); closing the incident ends every link at once.
	LinkTTL time.Duration
	Now     func() time.Time
	Log     *slog.Logger

	// Observer is told of alarms and invitations, for metrics (nil: none).
	Observer Observer
	// Recorder records the cameras of open incidents (nil: none).
	Recorder Recorder
	// AccessChanged is called after an incident closes or an invitation is
	// withdrawn, so that the rooms check their people's links at once
	// (nil: they find out at their next periodic check). It must not block.
	AccessChanged func()
}

// Service runs incidents.
type Service struct {
	cfg Config
	// mail holds e-mail statuses until Run records them: the outbox must
	// not wait for the database.
	mail chan notify.Status
}

// mailQueue bounds the statuses waiting; past it they are logged and
// dropped (the outbox's own records keep the truth).
const mailQueue = 4096

// New checks the configuration and builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Mailer == nil || cfg.Tokens == nil || cfg.Directory == nil || cfg.Cameras == nil {
		return nil, errors.New("incident: store, cameras, mailer, tokens and directory are required")
	}
	if cfg.EscalateAfter == 0 {
		cfg.EscalateAfter = 5 * time.Minute
	}
	if cfg.DedupeWindow == 0 {
		cfg.DedupeWindow = 6 * time.Hour
	}
	if cfg.LinkTTL == 0 {
		cfg.LinkTTL = 7 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	return &Service{cfg: cfg, mail: make(chan notify.Status, mailQueue)}, nil
}

// Alarm stores an alarm and acts on it: it implements alarm.Sink, so a
// DC-09 panel is acknowledged only once this returned.
func (s *Service) Alarm(ctx context.Context, e alarm.Event) error {
	_, err := s.record(ctx, e)
	return err
}

// Outcome is what an alarm did, for the webhook's and the operator's answer.
type Outcome struct {
	Incident  store.Incident
	Opened    bool
	Duplicate bool
}

// Raise is the operator's button and the CLI: an alarm of kind for site.
func (s *Service) Raise(ctx context.Context, site, kind, source, key string) (Outcome, error) {
	if _, ok := s.cfg.Directory.Site(site); !ok {
		return Outcome{}, fmt.Errorf("unknown site %q", site)
	}
	now := s.cfg.Now().UTC()
	if key == "" {
		key = source + "/" + token.NewID("")
	}
	return s.record(ctx, alarm.Event{
		Site: site, Kind: kind, Opens: true, Source: source, OccurredAt: now, ReceivedAt: now,
		Code: source + " " + kind, Raw: source + " " + kind, DedupeKey: key,
	})
}

func (s *Service) record(ctx context.Context, e alarm.Event) (Outcome, error) {
	site, known := s.cfg.Directory.Site(e.Site)
	now := s.cfg.Now().UTC()
	a := store.Alarm{
		ID: token.NewID("a_"), DedupeKey: e.DedupeKey, DedupeSince: now.Add(-s.cfg.DedupeWindow),
		Site: e.Site, Kind: e.Kind, Source: e.Source, Code: e.Code, OccurredAt: e.OccurredAt, ReceivedAt: e.ReceivedAt,
		Raw: e.Raw, Opens: e.Opens && known, Detail: e.Extras,
	}
	if a.ReceivedAt.IsZero() {
		a.ReceivedAt = now
	}
	if a.OccurredAt.IsZero() {
		a.OccurredAt = a.ReceivedAt
	}
	if a.DedupeKey == "" {
		a.DedupeKey = a.ID
	}
	roomID := token.NewID("r_")
	inc := store.Incident{ID: token.NewID("i_"), Site: e.Site, Room: roomID, Kind: e.Kind, Source: e.Source, OpenedAt: now}
	room := store.Room{ID: roomID, Name: site.Name, CreatedAt: now, Cameras: site.Cameras}
	out, err := s.cfg.Store.RecordAlarm(ctx, a, inc, room)
	if err != nil {
		return Outcome{}, err
	}
	s.cfg.Observer.AlarmRecorded(e.Source, outcomeOf(out))
	if !known {
		s.cfg.Log.Warn("alarm for no known site", "account", e.Account, "code", e.Code)
	}
	if out.Opened {
		s.cfg.Log.Info("incident opened", "incident", inc.ID, "site", site.ID, "kind", e.Kind, "source", e.Source)
		if err := s.open(ctx, out.Incident, site, e); err != nil {
			return Outcome{Incident: out.Incident, Opened: true}, err
		}
		s.observeInvited(site, a.ReceivedAt)
	}
	return Outcome{Incident: out.Incident, Opened: out.Opened, Duplicate: out.Duplicate}, nil
}

// open shows the site's cameras and invites its committee.
func (s *Service) open(ctx context.Context, inc store.Incident, site config.Site, e alarm.Event) error {
	if len(site.Cameras) > 0 {
		if err := s.cfg.Cameras.Attach(inc.Room, site.Cameras); err != nil {
			s.cfg.Log.Error("show cameras", "incident", inc.ID, "err", err)
		}
	}
	s.startRecording(inc, site, e.ReceivedAt)
	return s.invite(ctx, inc, site, s.cfg.Directory.List(site, listCommittee), listCommittee, e.OccurredAt)
}

// invite creates one invitation per contact not invited yet and sends them.
func (s *Service) invite(ctx context.Context, inc store.Incident, site config.Site, contacts []config.Contact, list string, occurred time.Time) error {
	now := s.cfg.Now().UTC()
	invs := make([]store.Invitation, 0, len(contacts))
	for _, c := range contacts {
		invs = append(invs, store.Invitation{
			ID: token.NewID("v_"), Incident: inc.ID, Contact: c.ID, Name: c.Name, Email: c.Email,
			Role: roleOf(c), Lang: langOf(c), List: list, CreatedAt: now,
		})
	}
	created, err := s.cfg.Store.CreateInvitations(ctx, invs)
	if err != nil {
		return err
	}
	msgs := make([]notify.Message, 0, len(created))
	for _, inv := range created {
		link, err := s.link(inc, inv, now)
		if err != nil {
			return err
		}
		msgs = append(msgs, notify.Message{
			ID: inv.ID, Incident: inc.ID, Contact: inv.Contact, To: inv.Email, Name: inv.Name, Lang: inv.Lang,
			Site: site.Name, Address: site.Address, Kind: inc.Kind, OccurredAt: occurred, Link: link,
			CentrePhone: s.cfg.CentrePhone,
		})
	}
	if len(msgs) == 0 {
		return nil
	}
	return s.cfg.Mailer.Send(ctx, msgs)
}

// link mints an invitation's personal link.
func (s *Service) link(inc store.Incident, inv store.Invitation, now time.Time) (string, error) {
	tok, err := s.cfg.Tokens.Sign(token.Claims{
		Room: inc.Room, Subject: inv.ID, Name: inv.Name, Role: inv.Role, Expiry: now.Add(s.cfg.LinkTTL).Unix(),
	})
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/room/" + inc.Room + "?t=" + tok, nil
}

func roleOf(c config.Contact) string {
	if c.Role == "" {
		return token.RoleResponder
	}
	return c.Role
}

func langOf(c config.Contact) string {
	if c.Language == "en" {
		return "en"
	}
	return "fr"
}

// OperatorLink mints the operator's link to an incident's room.
func (s *Service) OperatorLink(inc store.Incident) (string, error) {
	tok, err := s.cfg.Tokens.Sign(token.Claims{
		Room: inc.Room, Subject: "o_" + inc.ID, Name: "Opérateur", Role: token.RoleOperator,
		Expiry: s.cfg.Now().Add(s.cfg.LinkTTL).Unix(),
	})
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/room/" + inc.Room + "?t=" + tok, nil
}

// SetPublicURL sets the base of the links once the server knows its
// address; call it before any alarm.
func (s *Service) SetPublicURL(u string) { s.cfg.PublicURL = u }

// WebhookAlarm is the webhook's Sink: it stores the alarm, acts on it, and
// says what it did with the operator's link. A retried request (same key)
// gets the same incident.
func (s *Service) WebhookAlarm(ctx context.Context, e alarm.Event) (alarm.WebhookResult, error) {
	out, err := s.record(ctx, e)
	if err != nil {
		return alarm.WebhookResult{}, err
	}
	res := alarm.WebhookResult{Incident: out.Incident.ID, Opened: out.Opened, Duplicate: out.Duplicate}
	if out.Incident.ID != "" {
		if res.OperatorURL, err = s.OperatorLink(out.Incident); err != nil {
			return res, err
		}
	}
	return res, nil
}

// HasSite reports whether a site is in the directory.
func (s *Service) HasSite(id string) bool {
	_, ok := s.cfg.Directory.Site(id)
	return ok
}

// Invite invites one more person to an open incident by e-mail address,
// on the fly: the operator's "invite" button. The address stands for the
// contact, so inviting it twice sends one link.
func (s *Service) Invite(ctx context.Context, incidentID string, c config.Contact) error {
	if _, err := mail.ParseAddress(c.Email); err != nil || c.Email == "" {
		return fmt.Errorf("%q is not an e-mail address", c.Email)
	}
	if c.Role == "" {
		c.Role = token.RoleResponder
	}
	if c.Role != token.RoleResponder && c.Role != token.RoleCommittee && c.Role != token.RoleObserver {
		return fmt.Errorf("role %q is not responder, committee or observer", c.Role)
	}
	inc, err := s.cfg.Store.Incident(ctx, incidentID)
	if err != nil {
		return err
	}
	if inc.ClosedAt != nil {
		return ErrClosed
	}
	site, _ := s.cfg.Directory.Site(inc.Site)
	c.ID = "mail:" + strings.ToLower(c.Email)
	if c.Name == "" {
		c.Name = c.Email
	}
	return s.invite(ctx, inc, site, []config.Contact{c}, listAdded, inc.OpenedAt)
}
