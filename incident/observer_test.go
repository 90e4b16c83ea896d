package incident

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"vigie/alarm"
)

// observed records what an Observer is told, as text.
type observed struct {
	mu     sync.Mutex
	events []string
}

func (o *observed) AlarmRecorded(source, outcome string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, "alarm "+source+" "+outcome)
}

func (o *observed) InvitationsQueued(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, fmt.Sprintf("invited after %v", d))
}

func (o *observed) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.events
	o.events = nil
	return out
}

func TestObserverSeesAlarmsAndInvitations(t *testing.T) {
	f := newFixture(t)
	obs := &observed{}
	f.svc.cfg.Observer = obs
	ctx := context.Background()
	now := f.clock.Now()
	late := func(e alarm.Event, d time.Duration) alarm.Event { e.ReceivedAt = now.Add(-d); return e }
	restore := panic1120("r1")
	restore.Kind, restore.Opens = alarm.KindRestore, false
	unknown := panic1120("u1")
	unknown.Site = ""

	steps := []struct {
		name string
		act  func() error
		want []string
	}{
		{"opens", func() error { return f.svc.Alarm(ctx, late(panic1120("k1"), 250*time.Millisecond)) },
			[]string{"alarm dc09-tcp opened", "invited after 250ms"}},
		{"joins", func() error { return f.svc.Alarm(ctx, panic1120("k2")) }, []string{"alarm dc09-tcp joined"}},
		{"retransmitted", func() error { return f.svc.Alarm(ctx, panic1120("k1")) }, []string{"alarm dc09-tcp duplicate"}},
		{"operator", func() error {
			_, err := f.svc.Raise(ctx, "joliette", alarm.KindHoldup, "operator:alice", "")
			return err
		}, []string{"alarm operator:alice joined"}},
		{"unknown site", func() error { return f.svc.Alarm(ctx, unknown) }, []string{"alarm dc09-tcp logged"}},
		{"closed, then a restore", func() error {
			open, err := f.store.OpenIncidents(ctx)
			if err != nil || len(open) != 1 {
				return fmt.Errorf("open incidents %v, %v", open, err)
			}
			if err := f.svc.Close(ctx, open[0].ID, "operator"); err != nil {
				return err
			}
			return f.svc.Alarm(ctx, restore)
		}, []string{"alarm dc09-tcp logged"}},
		{"clock ahead of the receiver's", func() error { return f.svc.Alarm(ctx, late(panic1120("k3"), -time.Second)) },
			[]string{"alarm dc09-tcp opened", "invited after 0s"}},
	}
	for _, s := range steps {
		if err := s.act(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := obs.take(); !slices.Equal(got, s.want) {
			t.Fatalf("%s: observed %q, want %q", s.name, got, s.want)
		}
	}
}
