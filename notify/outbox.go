package notify

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"vigie/store"
)

// Store is where the outbox keeps its messages; *store.Store is one.
type Store interface {
	EnqueueMessages(ctx context.Context, msgs []store.OutboxMessage) error
	DueMessages(ctx context.Context, now time.Time, limit int) ([]store.OutboxMessage, error)
	MarkSent(ctx context.Context, id string, at time.Time) error
	MarkFailed(ctx context.Context, id string, at time.Time, smtpErr string, retryAt *time.Time) error // retryAt nil = give up
	// CancelMessages ends the pending messages of an incident as failed
	// for reason and returns the messages it ended.
	CancelMessages(ctx context.Context, incident string, at time.Time, reason string) ([]store.OutboxMessage, error)
}

// OutboxConfig configures an Outbox. Transport and Store are required.
type OutboxConfig struct {
	Transport   Transport
	Store       Store
	Parallel    int             // messages sent at once; default 8
	Backoff     []time.Duration // waits after the 1st, 2nd... failure; the last one repeats. Default 10s, 30s, 1m, 2m, 5m
	GiveUpAfter time.Duration   // no attempt later than this after queueing; default 24h
	// OnStatus receives each change, once stored, for the operator console.
	// It is called with the outbox locked: it must not block, nor call the
	// outbox.
	OnStatus func(st Status)
	Now      func() time.Time
	Log      *slog.Logger
}

// Outbox sends messages with bounded parallelism, retries with backoff, and
// records each recipient's status. Every message is stored before it is
// sent, and every change is stored before it is announced: after a crash or
// a restart, Run sends what was still due, the same message again.
type Outbox struct {
	transport   Transport
	store       Store
	parallel    int
	backoff     []time.Duration
	giveUpAfter time.Duration
	onStatus    func(Status)
	now         func() time.Time
	log         *slog.Logger
	render      *renderer

	poll        time.Duration // how often Run looks for retries that came due
	sendTimeout time.Duration // one attempt, connection included
	wake        chan struct{} // capacity 1: "look for due messages now"

	// mu serialises every read and change of message state (dispatch,
	// record, Send, Cancel), so that the set of messages in flight and the
	// store never disagree: a message is never sent twice at once, and no
	// late result overwrites a cancel.
	mu       sync.Mutex
	inflight map[string]*flight
	failing  bool // the last look for due messages failed (logged once)
}

// flight is a message being sent.
type flight struct {
	incident  string
	cancelled bool // its incident closed meanwhile: a failure is final
}

const (
	defaultParallel = 8
	defaultGiveUp   = 24 * time.Hour
	defaultPoll     = time.Second
	sendTimeout     = 2 * time.Minute
	storeTimeout    = 10 * time.Second // a store write that must outlive Run's context
	maxErrorText    = 500
	cancelReason    = "incident closed before delivery"
)

func defaultBackoff() []time.Duration {
	return []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
}

// NewOutbox checks cfg and parses the templates. Nothing runs until Run.
func NewOutbox(cfg OutboxConfig) (*Outbox, error) {
	if cfg.Transport == nil || cfg.Store == nil {
		return nil, errors.New("outbox: a transport and a store are required")
	}
	o := &Outbox{
		transport: cfg.Transport, store: cfg.Store, parallel: cfg.Parallel,
		backoff: cfg.Backoff, giveUpAfter: cfg.GiveUpAfter, onStatus: cfg.OnStatus,
		now: cfg.Now, log: cfg.Log,
		poll: defaultPoll, sendTimeout: sendTimeout,
		wake: make(chan struct{}, 1), inflight: make(map[string]*flight),
	}
	if o.parallel <= 0 {
		o.parallel = defaultParallel
	}
	if len(o.backoff) == 0 {
		o.backoff = defaultBackoff()
	}
	for _, d := range o.backoff {
		if d <= 0 {
			return nil, fmt.Errorf("outbox: backoff %v: every wait must be positive", o.backoff)
		}
	}
	if o.giveUpAfter <= 0 {
		o.giveUpAfter = defaultGiveUp
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	var err error
	if o.render, err = newRenderer(); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return o, nil
}

// Send renders msgs, stores them all (or none, with an error) and has Run
// send them at once. A message without an ID gets one. A message whose ID
// is already stored is not sent again (it is still announced as queued).
func (o *Outbox) Send(ctx context.Context, msgs []Message) error {
	now := o.now()
	rows := make([]store.OutboxMessage, 0, len(msgs))
	for _, m := range msgs {
		if m.ID == "" {
			m.ID = "ob-" + strings.ToLower(rand.Text())
		}
		r, err := o.render.render(m)
		if err != nil {
			return fmt.Errorf("send invitations: %w", err)
		}
		rows = append(rows, store.OutboxMessage{
			ID: m.ID, IncidentID: m.Incident, ContactID: m.Contact, Address: r.To, Name: r.ToName,
			Lang: m.Lang, Subject: r.Subject, Text: r.Text, HTML: r.HTML, CreatedAt: now,
		})
	}
	if len(rows) == 0 {
		return nil
	}
	o.mu.Lock()
	err := o.store.EnqueueMessages(ctx, rows)
	if err == nil {
		for _, m := range rows {
			o.announce(status(m, StateQueued, "", now))
		}
	}
	o.mu.Unlock()
	if err != nil {
		return fmt.Errorf("send invitations: %w", err)
	}
	o.signal()
	return nil
}

// Cancel ends the pending messages of a closed incident: none is retried.
// A message being sent at that moment is recorded as what it turns out:
// sent, or failed without retry.
func (o *Outbox) Cancel(ctx context.Context, incident string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	ended, err := o.store.CancelMessages(ctx, incident, now, cancelReason)
	if err != nil {
		return fmt.Errorf("cancel invitations: %w", err)
	}
	for _, f := range o.inflight {
		if f.incident == incident {
			f.cancelled = true
		}
	}
	for _, m := range ended {
		o.announce(status(m, StateFailed, cancelReason, now))
	}
	return nil
}

// Run sends due messages until ctx ends, then waits for the sends under way
// to stop. A send cut short this way does not count as an attempt: the
// message is sent again at the next start. Run must not run twice at once.
func (o *Outbox) Run(ctx context.Context) {
	var sends sync.WaitGroup
	defer sends.Wait()
	tick := time.NewTicker(o.poll)
	defer tick.Stop()
	for {
		o.dispatch(ctx, &sends)
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-tick.C:
		}
	}
}

// dispatch starts sending due messages, as many as there are free slots.
func (o *Outbox) dispatch(ctx context.Context, sends *sync.WaitGroup) {
	o.mu.Lock()
	defer o.mu.Unlock()
	free := o.parallel - len(o.inflight)
	if free <= 0 || ctx.Err() != nil {
		return
	}
	// Those in flight are due too: asking for parallel messages leaves at
	// least free ones that are not.
	due, err := o.store.DueMessages(ctx, o.now(), o.parallel)
	if err != nil {
		if !o.failing && ctx.Err() == nil {
			o.log.Error("outbox: cannot read due messages; retrying", "err", err)
			o.failing = true
		}
		return
	}
	if o.failing {
		o.log.Info("outbox: reading due messages again")
		o.failing = false
	}
	for _, m := range due {
		if free == 0 {
			break
		}
		if _, busy := o.inflight[m.ID]; busy {
			continue
		}
		o.inflight[m.ID] = &flight{incident: m.IncidentID}
		free--
		sends.Go(func() { o.deliver(ctx, m) })
	}
}

// deliver makes one attempt at m and records its outcome.
func (o *Outbox) deliver(ctx context.Context, m store.OutboxMessage) {
	sendCtx, cancel := context.WithTimeout(ctx, o.sendTimeout)
	err := o.transport.Send(sendCtx, Rendered{
		To: m.Address, ToName: m.Name, Subject: m.Subject, Text: m.Text, HTML: m.HTML, MessageID: messageID(m.ID),
	})
	cancel()
	if err != nil && ctx.Err() != nil {
		o.mu.Lock()
		delete(o.inflight, m.ID)
		o.mu.Unlock()
		return
	}
	// Even when Run is stopping, a sent message must be recorded as sent.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	o.record(rctx, m, err)
	o.signal()
}

// record stores the outcome of an attempt at m, then announces it.
func (o *Outbox) record(ctx context.Context, m store.OutboxMessage, sendErr error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f := o.inflight[m.ID]
	delete(o.inflight, m.ID)
	now := o.now()
	var st Status
	var err error
	if sendErr == nil {
		st = status(m, StateSent, "", now)
		err = o.store.MarkSent(ctx, m.ID, now)
	} else {
		retryAt := o.retryTime(m, now, sendErr, f != nil && f.cancelled)
		st = status(m, StateFailed, errorText(sendErr), now)
		if retryAt != nil {
			st.State = StateRetrying
		}
		err = o.store.MarkFailed(ctx, m.ID, now, st.Error, retryAt)
	}
	if err != nil {
		o.log.Error("outbox: cannot record a delivery attempt", "message", m.ID, "outcome", st.State, "err", err)
		return
	}
	o.logOutcome(m, st)
	o.announce(st)
}

// retryTime is when to try m again after this failure, or nil to give up:
// the server refused it, its incident closed, or the next attempt would
// come later than GiveUpAfter.
func (o *Outbox) retryTime(m store.OutboxMessage, now time.Time, err error, cancelled bool) *time.Time {
	if cancelled || errors.Is(err, ErrRejected) {
		return nil
	}
	at := now.Add(o.backoff[min(m.Attempts, len(o.backoff)-1)])
	if at.Sub(m.CreatedAt) > o.giveUpAfter {
		return nil
	}
	return &at
}

func (o *Outbox) logOutcome(m store.OutboxMessage, st Status) {
	attrs := []any{"incident", m.IncidentID, "contact", m.ContactID, "to", m.Address, "attempt", m.Attempts + 1}
	switch st.State {
	case StateSent:
		o.log.Info("invitation e-mail sent", attrs...)
	case StateRetrying:
		o.log.Warn("invitation e-mail not sent; will retry", append(attrs, "err", st.Error)...)
	default:
		o.log.Error("invitation e-mail not sent; giving up", append(attrs, "err", st.Error)...)
	}
}

func (o *Outbox) announce(st Status) {
	if o.onStatus != nil {
		o.onStatus(st)
	}
}

// signal wakes Run without waiting: one pending wake-up is enough.
func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func status(m store.OutboxMessage, state, errText string, at time.Time) Status {
	return Status{
		MessageID: m.ID, Incident: m.IncidentID, Contact: m.ContactID, To: m.Address,
		State: state, Error: errText, At: at,
	}
}

// errorText is err's text, cut to a length an operator's screen can show.
func errorText(err error) string {
	s := err.Error()
	if len(s) > maxErrorText {
		s = strings.ToValidUTF8(s[:maxErrorText], "") + "…"
	}
	return s
}
