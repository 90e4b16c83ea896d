package sfu

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// PublishedTrack describes a participant's track to Config.OnPublishedTrack.
type PublishedTrack struct {
	Room        string
	Participant string
	Source      Source
	Codec       webrtc.RTPCodecParameters
	// RequestKeyframe asks the publisher for a keyframe (throttled like
	// the subscribers' requests). Safe from any goroutine.
	RequestKeyframe func()
}

// RTPSink takes the packets of one participant's track, for recording.
// WriteRTP runs on the track's own tap goroutine, never on the forwarding
// path: it may take its time (a disk write), the packets it misses are
// dropped and counted. Padding-only packets come too: their sequence
// numbers tell them from lost packets. The packet is only valid during
// the call. Close is
// called once, after the last WriteRTP, when the track ends or the peer
// closes.
type RTPSink interface {
	WriteRTP(p *rtp.Packet)
	Close()
}

// tapSlots is how many packets a tap holds for its sink: about 2 s of a
// 720p camera. Its buffers are allocated once, when the track starts.
const tapSlots = 512

// tap copies a track's packets into fixed buffers and hands them to a
// sink on its own goroutine. offer never blocks and never allocates: a
// full queue drops the packet.
type tap struct {
	sink    RTPSink
	log     *slog.Logger
	bufs    [][receiveMTU]byte
	free    chan uint16 // indexes of free buffers
	full    chan tapSlot
	dropped atomic.Uint64
	done    chan struct{}
	once    sync.Once
}

type tapSlot struct {
	idx uint16
	n   uint16
}

// newTap asks the hook for a sink; nil when there is no hook or it
// records nothing of this track.
func (u *UpTrack) newTap() *tap {
	cfg := &u.owner.room.sfu.cfg
	if cfg.OnPublishedTrack == nil {
		return nil
	}
	sink := cfg.OnPublishedTrack(PublishedTrack{
		Room: u.owner.room.id, Participant: u.owner.id, Source: u.source,
		Codec: u.remote.Codec(), RequestKeyframe: u.forceKeyframe,
	})
	if sink == nil {
		return nil
	}
	return startTap(sink, u.owner.log.With("source", u.source))
}

// startTap allocates the tap's buffers and starts its goroutine.
func startTap(sink RTPSink, log *slog.Logger) *tap {
	t := newTapQueue(sink, log)
	go t.run()
	return t
}

func newTapQueue(sink RTPSink, log *slog.Logger) *tap {
	t := &tap{
		sink: sink, log: log,
		bufs: make([][receiveMTU]byte, tapSlots),
		free: make(chan uint16, tapSlots), full: make(chan tapSlot, tapSlots),
		done: make(chan struct{}),
	}
	for i := range tapSlots {
		t.free <- uint16(i)
	}
	return t
}

// forceKeyframe is requestKeyframe for the recorder.
func (u *UpTrack) forceKeyframe() { u.requestKeyframe() }

// offer queues a copy of one packet as read from the publisher.
func (t *tap) offer(b []byte) {
	select {
	case i := <-t.free:
		n := copy(t.bufs[i][:], b)
		t.full <- tapSlot{idx: i, n: uint16(n)} // never blocks: one slot per free buffer
	default:
		t.dropped.Add(1)
	}
}

// run hands the queued packets to the sink until close.
func (t *tap) run() {
	defer close(t.done)
	var p rtp.Packet
	for s := range t.full {
		if err := p.Unmarshal(t.bufs[s.idx][:s.n]); err == nil {
			t.sink.WriteRTP(&p)
		}
		t.free <- s.idx
	}
	t.sink.Close()
}

// close stops the tap once the track's read loop has ended, and waits
// until the sink is closed.
func (t *tap) close() {
	if t == nil {
		return
	}
	t.once.Do(func() { close(t.full) })
	<-t.done
	if n := t.dropped.Load(); n > 0 {
		t.log.Warn("recording fell behind: packets dropped", "packets", n)
	}
}
