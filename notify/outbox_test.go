package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/store"
)

// waitLimit bounds every wait of these tests: reaching it is a failure.
const waitLimit = 20 * time.Second

var t0 = time.Date(2025, 3, 14, 8, 41, 7, 0, time.UTC)

// fakeClock is the outbox's clock in tests: time moves only when told to.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// fakeTransport records each attempt and answers with outcome. With a gate,
// each Send first waits for a token from it (or for its context to end).
type fakeTransport struct {
	clock   *fakeClock
	outcome func(r Rendered) error
	gate    chan error // a token is the attempt's outcome; nil: use outcome
	started chan string

	mu       sync.Mutex
	attempts map[string][]time.Time // by Message-ID
	sent     []Rendered
	current  int
	max      int
}

func newFakeTransport(clock *fakeClock, outcome func(Rendered) error) *fakeTransport {
	return &fakeTransport{clock: clock, outcome: outcome, attempts: make(map[string][]time.Time)}
}

func (f *fakeTransport) Send(ctx context.Context, r Rendered) error {
	f.mu.Lock()
	f.attempts[r.MessageID] = append(f.attempts[r.MessageID], f.clock.Now())
	f.current++
	f.max = max(f.max, f.current)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.current--
		f.mu.Unlock()
	}()
	if f.started != nil {
		f.started <- r.MessageID
	}
	var err error
	if f.gate != nil {
		select {
		case err = <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	} else if f.outcome != nil {
		err = f.outcome(r)
	}
	if err == nil {
		f.mu.Lock()
		f.sent = append(f.sent, r)
		f.mu.Unlock()
	}
	return err
}

func (f *fakeTransport) attemptsOf(outboxID string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.attempts[messageID(outboxID)]...)
}

func temporary(Rendered) error { return errors.New("421 4.3.2 Service not available, try again later") }

// harness is an outbox over a real store, with a fake clock and transport.
type harness struct {
	t       *testing.T
	path    string
	store   *store.Store
	clock   *fakeClock
	status  chan Status
	pending map[string][]Status // received, not yet waited for
	box     *Outbox
	stop    func()
}

func newHarness(t *testing.T, tr Transport, clock *fakeClock, tweak func(*OutboxConfig)) *harness {
	t.Helper()
	h := &harness{t: t, path: filepath.Join(t.TempDir(), "vigie.db"), clock: clock, status: make(chan Status, 1000),
		pending: make(map[string][]Status)}
	h.open(tr, tweak)
	return h
}

// open opens the store and an outbox on it, and starts the outbox.
func (h *harness) open(tr Transport, tweak func(*OutboxConfig)) {
	h.t.Helper()
	s, err := store.Open(h.t.Context(), h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	h.store = s
	cfg := OutboxConfig{
		Transport: tr, Store: s, Now: h.clock.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnStatus: func(st Status) {
			select {
			case h.status <- st:
			default:
				h.t.Error("status channel full")
			}
		},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	if h.box, err = NewOutbox(cfg); err != nil {
		h.t.Fatal(err)
	}
	h.box.poll = 2 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		h.box.Run(ctx)
		close(done)
	}()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(waitLimit):
				h.t.Fatal("Run did not return after its context ended")
			}
			if err := s.Close(); err != nil {
				h.t.Error(err)
			}
		})
	}
	h.t.Cleanup(h.stop)
}

func (h *harness) send(msgs ...Message) {
	h.t.Helper()
	if err := h.box.Send(h.t.Context(), msgs); err != nil {
		h.t.Fatal(err)
	}
}

// waitStatus returns the next status of message id, failing if it is not
// in state want.
func (h *harness) waitStatus(id, want string) Status {
	h.t.Helper()
	st := h.nextStatus(id)
	if st.State != want {
		h.t.Fatalf("message %s: status %q (%s), want %q", id, st.State, st.Error, want)
	}
	return st
}

// nextStatus returns the next status of message id. Statuses of other
// messages are kept for their turn.
func (h *harness) nextStatus(id string) Status {
	h.t.Helper()
	deadline := time.After(waitLimit)
	for {
		if q := h.pending[id]; len(q) > 0 {
			h.pending[id] = q[1:]
			return q[0]
		}
		select {
		case st := <-h.status:
			h.pending[st.MessageID] = append(h.pending[st.MessageID], st)
		case <-deadline:
			h.t.Fatalf("message %s: no status within %v", id, waitLimit)
			return Status{}
		}
	}
}

func (h *harness) stored(incident, id string) store.OutboxMessage {
	h.t.Helper()
	msgs, err := h.store.IncidentMessages(h.t.Context(), incident)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.ID == id {
			return m
		}
	}
	h.t.Fatalf("message %s not stored", id)
	return store.OutboxMessage{}
}

func invite(id, incident string) Message {
	m := testMessage("fr", "holdup")
	m.ID, m.Incident, m.Contact, m.To = id, incident, "c-"+id, id+"@police.example"
	return m
}

func TestOutboxRetriesFollowTheBackoff(t *testing.T) {
	clock := &fakeClock{now: t0}
	tr := newFakeTransport(clock, temporary)
	h := newHarness(t, tr, clock, func(c *OutboxConfig) { c.GiveUpAfter = 20 * time.Minute })
	h.send(invite("m1", "inc-1"))
	h.waitStatus("m1", StateQueued)

	// Attempts at 0, 10s, 40s, 1m40s, 3m40s, 8m40s, 13m40s, 18m40s: the next
	// would come 23m40s after queueing, later than GiveUpAfter.
	waits := []time.Duration{10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute,
		5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	want := []time.Time{t0}
	for _, wait := range waits {
		st := h.waitStatus("m1", StateRetrying)
		if !strings.Contains(st.Error, "421 4.3.2") || !st.At.Equal(clock.Now()) {
			t.Errorf("retrying status %+v", st)
		}
		next := want[len(want)-1].Add(wait)
		m := h.stored("inc-1", "m1")
		if m.NextAttemptAt == nil || !m.NextAttemptAt.Equal(next) || m.Attempts != len(want) {
			t.Fatalf("after attempt %d: next attempt %v, attempts %d; want %v, %d",
				len(want), m.NextAttemptAt, m.Attempts, next, len(want))
		}
		want = append(want, next)
		clock.Set(next)
	}
	h.waitStatus("m1", StateFailed)
	got := tr.attemptsOf("m1")
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("attempts at\n %v\nwant\n %v", got, want)
	}
	if m := h.stored("inc-1", "m1"); m.State != StateFailed || m.NextAttemptAt != nil || m.Attempts != 8 {
		t.Errorf("after giving up: %+v", m)
	}
}

// afterwards sends a message of another incident and waits until it is
// sent: by then any due attempt at an earlier message has been made.
func (h *harness) afterwards(id string) {
	h.t.Helper()
	h.send(invite(id, "inc-other"))
	h.waitStatus(id, StateQueued)
	h.waitStatus(id, StateSent)
}

func TestOutboxPermanentErrorIsNotRetried(t *testing.T) {
	clock := &fakeClock{now: t0}
	tr := newFakeTransport(clock, func(r Rendered) error {
		if r.MessageID == messageID("m1") {
			return fmt.Errorf("%w: 550 5.1.1 <m1@police.example>: user unknown", ErrRejected)
		}
		return nil
	})
	h := newHarness(t, tr, clock, nil)
	h.send(invite("m1", "inc-1"))
	h.waitStatus("m1", StateQueued)
	st := h.waitStatus("m1", StateFailed)
	if !strings.Contains(st.Error, "550 5.1.1") {
		t.Errorf("failed status %+v lacks the server's reply", st)
	}
	m := h.stored("inc-1", "m1")
	if m.State != StateFailed || m.Attempts != 1 || m.NextAttemptAt != nil || !strings.Contains(m.LastError, "550") {
		t.Errorf("stored %+v", m)
	}
	clock.Set(t0.Add(time.Hour))
	h.afterwards("m2")
	if n := len(tr.attemptsOf("m1")); n != 1 {
		t.Errorf("a rejected message was tried %d times", n)
	}
}

func TestOutboxCancelStopsRetries(t *testing.T) {
	clock := &fakeClock{now: t0}
	tr := newFakeTransport(clock, func(r Rendered) error {
		if strings.HasPrefix(r.MessageID, messageID("m")) {
			return temporary(r)
		}
		return nil
	})
	h := newHarness(t, tr, clock, nil)
	h.send(invite("m1", "inc-1"), invite("m2", "inc-1"), invite("keep", "inc-2"))
	for _, id := range []string{"m1", "m2", "keep"} {
		h.waitStatus(id, StateQueued)
	}
	h.waitStatus("m1", StateRetrying)
	h.waitStatus("m2", StateRetrying)
	h.waitStatus("keep", StateSent)

	if err := h.box.Cancel(t.Context(), "inc-1"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"m1", "m2"} {
		if st := h.waitStatus(id, StateFailed); st.Error != cancelReason {
			t.Errorf("%s: cancel status %+v", id, st)
		}
		if m := h.stored("inc-1", id); m.State != StateFailed || m.NextAttemptAt != nil {
			t.Errorf("%s stored as %+v after cancel", id, m)
		}
	}
	clock.Set(t0.Add(time.Hour))
	h.afterwards("after")
	for _, id := range []string{"m1", "m2"} {
		if n := len(tr.attemptsOf(id)); n != 1 {
			t.Errorf("%s tried %d times, want once (before the cancel)", id, n)
		}
	}
	if m := h.stored("inc-2", "keep"); m.State != StateSent {
		t.Errorf("another incident's message is %q", m.State)
	}
}

func TestOutboxCancelDuringASend(t *testing.T) {
	clock := &fakeClock{now: t0}
	tr := newFakeTransport(clock, nil)
	tr.gate, tr.started = make(chan error), make(chan string, 10)
	h := newHarness(t, tr, clock, nil)
	h.send(invite("m1", "inc-1"))
	h.waitStatus("m1", StateQueued)
	<-tr.started
	if err := h.box.Cancel(t.Context(), "inc-1"); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("m1", StateFailed)
	tr.gate <- errors.New("421 4.4.2 connection dropped")
	if st := h.waitStatus("m1", StateFailed); !strings.Contains(st.Error, "421 4.4.2") {
		t.Errorf("outcome of the send under way: %+v", st)
	}
	if m := h.stored("inc-1", "m1"); m.State != StateFailed || m.NextAttemptAt != nil || m.Attempts != 1 {
		t.Errorf("stored %+v: a send that failed after its incident closed must not be retried", m)
	}
}

func TestOutboxParallelismIsBounded(t *testing.T) {
	const parallel, total = 3, 10
	clock := &fakeClock{now: t0}
	tr := newFakeTransport(clock, nil)
	tr.gate, tr.started = make(chan error), make(chan string, total)
	h := newHarness(t, tr, clock, func(c *OutboxConfig) { c.Parallel = parallel })
	var msgs []Message
	for i := range total {
		msgs = append(msgs, invite(fmt.Sprintf("m%02d", i), "inc-1"))
	}
	h.send(msgs...)
	for range parallel {
		<-tr.started
	}
	// Each finished send frees one slot for one more.
	for i := range total {
		tr.gate <- nil
		if i+parallel < total {
			<-tr.started
		}
	}
	for _, m := range msgs {
		h.waitStatus(m.ID, StateQueued)
		h.waitStatus(m.ID, StateSent)
		if n := len(tr.attemptsOf(m.ID)); n != 1 {
			t.Errorf("%s sent %d times", m.ID, n)
		}
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.max != parallel {
		t.Errorf("at most %d sends at once, want %d", tr.max, parallel)
	}
}

func TestOutboxResendsAfterARestart(t *testing.T) {
	clock := &fakeClock{now: t0}
	failing := newFakeTransport(clock, temporary)
	h := newHarness(t, failing, clock, nil)
	h.send(invite("m1", "inc-1"))
	h.waitStatus("m1", StateQueued)
	h.waitStatus("m1", StateRetrying)
	h.stop()
	// Queued while nothing runs, as when vigie stops right after storing.
	stopped, err := store.Open(t.Context(), h.path)
	if err != nil {
		t.Fatal(err)
	}
	box, err := NewOutbox(OutboxConfig{Transport: failing, Store: stopped, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := box.Send(t.Context(), []Message{invite("m2", "inc-1")}); err != nil {
		t.Fatal(err)
	}
	if err := stopped.Close(); err != nil {
		t.Fatal(err)
	}

	working := newFakeTransport(clock, nil)
	h.open(working, nil)
	h.waitStatus("m2", StateSent)
	clock.Set(t0.Add(10 * time.Second))
	h.waitStatus("m1", StateSent)
	for _, id := range []string{"m1", "m2"} {
		want, err := Render(invite(id, "inc-1"))
		if err != nil {
			t.Fatal(err)
		}
		var got *Rendered
		for i := range working.sent {
			if working.sent[i].MessageID == want.MessageID {
				got = &working.sent[i]
			}
		}
		if got == nil || *got != want {
			t.Errorf("%s after the restart: sent %+v, want the message first queued", id, got)
		}
	}
	if m := h.stored("inc-1", "m1"); m.Attempts != 2 || m.State != StateSent {
		t.Errorf("m1 stored as %+v", m)
	}
}

func TestOutboxStopDuringASend(t *testing.T) {
	clock := &fakeClock{now: t0}
	tr := newFakeTransport(clock, nil)
	tr.gate, tr.started = make(chan error), make(chan string, 1)
	h := newHarness(t, tr, clock, nil)
	h.send(invite("m1", "inc-1"))
	<-tr.started
	h.stop() // fails the test if Run does not return while the send waits
	s, err := store.Open(t.Context(), h.path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	due, err := s.DueMessages(t.Context(), clock.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].State != StateQueued || due[0].Attempts != 0 {
		t.Errorf("after stopping mid-send: due %+v, want m1 queued, not counted as an attempt", due)
	}
}

func TestOutboxSendChecksEveryMessageFirst(t *testing.T) {
	clock := &fakeClock{now: t0}
	h := newHarness(t, newFakeTransport(clock, nil), clock, nil)
	bad := invite("m2", "inc-1")
	bad.Link = "javascript:alert(1)"
	if err := h.box.Send(t.Context(), []Message{invite("m1", "inc-1"), bad}); err == nil {
		t.Fatal("Send accepted a message without a usable link")
	}
	if msgs, _ := h.store.IncidentMessages(t.Context(), "inc-1"); len(msgs) != 0 {
		t.Errorf("a refused Send stored %d messages", len(msgs))
	}
	noID := invite("", "inc-1")
	h.send(noID)
	st := <-h.status
	if !strings.HasPrefix(st.MessageID, "ob-") || st.State != StateQueued {
		t.Errorf("a message without id: %+v", st)
	}
	h.waitStatus(st.MessageID, StateSent)
}

func TestNewOutboxChecksItsConfig(t *testing.T) {
	s := &store.Store{}
	tr := NewConsole(nil)
	for _, cfg := range []OutboxConfig{
		{Store: s},
		{Transport: tr},
		{Transport: tr, Store: s, Backoff: []time.Duration{time.Second, 0}},
	} {
		if _, err := NewOutbox(cfg); err == nil {
			t.Errorf("NewOutbox accepted %+v", cfg)
		}
	}
}
