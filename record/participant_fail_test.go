package record

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// countingHandler counts the log records of each level.
type countingHandler struct {
	mu     sync.Mutex
	counts map[slog.Level]int
	msgs   []string
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Level]++
	h.msgs = append(h.msgs, r.Level.String()+" "+r.Message)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func (h *countingHandler) count(l slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[l]
}

// A recording whose files cannot be created (a full disk, a folder taken)
// logs one error, not one per keyframe, and does not make the publisher
// send keyframe after keyframe to try again: it tries again a while later.
// Once files can be written again, it says so and records.
func TestParticipantTrackFailingDiskLogsOnce(t *testing.T) {
	for _, c := range participantCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			blocked := filepath.Join(dir, "i_1", "participants")
			if err := os.MkdirAll(filepath.Dir(blocked), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(blocked, nil, 0o600); err != nil { // the folder cannot be made
				t.Fatal(err)
			}
			clock := &fakeClock{now: time.Date(2026, 12, 4, 18, 45, 1, 0, time.UTC)}
			start := clock.Now()
			logs := &countingHandler{counts: map[slog.Level]int{}}
			p, err := NewParticipants(ParticipantsConfig{Dir: dir, Segment: time.Hour, Now: clock.Now, Log: slog.New(logs)})
			if err != nil {
				t.Fatal(err)
			}
			// Keyframe requests as the SFU sends them: at most one a second.
			asked, lastAsk := 0, time.Time{}
			ask := func() {
				if now := clock.Now(); now.Sub(lastAsk) >= time.Second {
					asked, lastAsk = asked+1, now
				}
			}
			codec := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: c.mime, ClockRate: uint32(c.kind.clock()), Channels: 2}}
			tr := p.Track(TrackInfo{Incident: "i_1", Participant: "c_1", Name: "A", Source: "camera", Codec: codec,
				Keyframe: ask})
			frames := c.frames(t)
			pkts := packetize(t, c.kind, frames)
			// The clip again and again, timestamps and sequence numbers going on.
			span := frames[len(frames)-1].ts - frames[0].ts + frames[1].ts - frames[0].ts
			seqs := uint16(pkts[len(pkts)-1].SequenceNumber - pkts[0].SequenceNumber + 1)
			first := pkts[0].Timestamp
			feed := func(round int) {
				for _, pkt := range pkts {
					q := pkt.Clone()
					q.Timestamp += uint32(round) * span
					q.SequenceNumber += uint16(round) * seqs
					clock.set(start.Add(time.Duration(float64(q.Timestamp-first) / float64(c.kind.clock()) * float64(time.Second))))
					tr.WriteRTP(q)
				}
			}
			const failing = 5
			for round := range failing {
				feed(round)
			}
			if n := logs.count(slog.LevelError); n != 1 {
				t.Fatalf("%d errors logged for a folder that cannot be made, want 1: %q", n, logs.msgs)
			}
			// Without waiting it would ask every second. Waiting, it asks from
			// each try until the clip's next keyframe (the clip's come every
			// 4 s whatever is asked): a few seconds in ten.
			secs := float64(failing*span) / float64(c.kind.clock())
			if max := int(secs / 2); asked > max {
				t.Fatalf("%d keyframes asked for in %.0f s of failures, want at most %d", asked, secs, max)
			}
			if err := os.Remove(blocked); err != nil { // room again
				t.Fatal(err)
			}
			feed(failing)
			feed(failing + 1)
			feed(failing + 2)
			tr.Close()
			entries, err := os.ReadDir(filepath.Join(blocked, "A-c_1"))
			if err != nil || len(entries) != 1 {
				t.Fatalf("after the failure: files %v, %v; want one", entries, err)
			}
			if n := logs.count(slog.LevelError); n != 1 {
				t.Fatalf("%d errors logged, want 1: %q", n, logs.msgs)
			}
		})
	}
}

// A track whose incident was stopped just before (its store look-up saw
// the incident open, then the incident closed) is not recorded: its files
// would come after the incident's were completed.
func TestParticipantTrackAfterStopNotRecorded(t *testing.T) {
	p, err := NewParticipants(ParticipantsConfig{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}}
	p.Stop("i_1")
	if tr := p.Track(TrackInfo{Incident: "i_1", Participant: "c_1", Codec: opus}); tr != nil {
		t.Fatal("a track of a stopped incident is recorded")
	}
	if tr := p.Track(TrackInfo{Incident: "i_2", Participant: "c_2", Codec: opus}); tr == nil {
		t.Fatal("a track of an incident still open is not recorded")
	}
	for i := range 2000 { // the incidents remembered stay few
		p.Stop(fmt.Sprintf("other_%d", i))
	}
	if got := len(p.stopped); got > maxStopped {
		t.Fatalf("%d stopped incidents remembered, want at most %d", got, maxStopped)
	}
}
