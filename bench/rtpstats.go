package bench

import (
	"encoding/binary"
	"sync/atomic"
)

// recoveryWindow is how many sequence numbers a viewer waits behind the
// newest packet before it counts a missing one as lost: the time a NACK
// has to bring it back (about 1.2 s at 2 Mbit/s in 1200-byte packets).
const recoveryWindow = 256

// resyncJump is the forward sequence jump taken as a new stream (the
// sender restarted) rather than as that many lost packets.
const resyncJump = 8192

// maxFrameGap bounds the frames counted missing from one timestamp jump;
// a larger jump is a timestamp reset, not missing frames.
const maxFrameGap = 1000

// rtpHeader is what the fan-out bench reads of an RTP packet.
type rtpHeader struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

// parseRTPHeader reads the fixed header, skips CSRCs and the extension and
// returns the payload (padding included: the bench does not need it
// exact). ok is false for a packet too short for its own header.
func parseRTPHeader(b []byte) (h rtpHeader, ok bool) {
	if len(b) < 12 || b[0]>>6 != 2 {
		return h, false
	}
	n := 12 + 4*int(b[0]&0x0F)
	if b[0]&0x10 != 0 {
		if len(b) < n+4 {
			return h, false
		}
		n += 4 + 4*int(binary.BigEndian.Uint16(b[n+2:]))
	}
	if len(b) < n {
		return h, false
	}
	h.marker = b[1]&0x80 != 0
	h.seq = binary.BigEndian.Uint16(b[2:])
	h.ts = binary.BigEndian.Uint32(b[4:])
	h.payload = b[n:]
	return h, true
}

// streamCounters are one viewer's totals since it started, written by its
// reader and read by the measurement at any time.
type streamCounters struct {
	packets  atomic.Uint64 // every packet read, duplicates included
	bytes    atomic.Uint64 // their sizes, RTP header included
	arrived  atomic.Uint64 // sequence numbers that arrived in time, each once
	lost     atomic.Uint64 // sequence numbers still missing once out of the recovery window
	frames   atomic.Uint64 // video frames passed, those that never arrived included
	complete atomic.Uint64 // of which every packet arrived
	resyncs  atomic.Uint64 // sequence jumps taken as a new stream
}

// counterSnapshot is streamCounters at one instant.
type counterSnapshot struct {
	packets, bytes, arrived, lost, frames, complete uint64
}

func (c *streamCounters) snapshot() counterSnapshot {
	return counterSnapshot{
		packets:  c.packets.Load(),
		bytes:    c.bytes.Load(),
		arrived:  c.arrived.Load(),
		lost:     c.lost.Load(),
		frames:   c.frames.Load(),
		complete: c.complete.Load(),
	}
}

func (s counterSnapshot) sub(o counterSnapshot) counterSnapshot {
	return counterSnapshot{
		packets:  s.packets - o.packets,
		bytes:    s.bytes - o.bytes,
		arrived:  s.arrived - o.arrived,
		lost:     s.lost - o.lost,
		frames:   s.frames - o.frames,
		complete: s.complete - o.complete,
	}
}

// Flags of a slot in the recovery window.
const (
	slotReceived = 1 << iota
	slotMarker
	slotMidNAL // the packet continues a fragmented NAL unit: a frame cannot start with it
)

type slot struct {
	ts    uint32
	flags uint8
}

// videoStats follows one video track, packet by packet, in a fixed window
// of the last recoveryWindow sequence numbers. A sequence number is judged
// when it leaves the window: lost if it never came, else part of a frame.
// Frames are judged in sequence order: a frame is the packets of one RTP
// timestamp up to its marker; it is complete when every sequence number
// from its first packet to its marker arrived. A timestamp jump of k
// frame durations counts k-1 frames that never arrived, as incomplete.
// Only the reader goroutine calls push; counters may be read anywhere.
type videoStats struct {
	counters   streamCounters
	frameTicks uint32 // RTP ticks per frame: 3600 at 25 fps
	h265       bool   // how to tell a NAL fragment's continuation
	slots      [recoveryWindow]slot
	started    bool
	base       uint16 // oldest sequence number still in the window
	next       uint16 // one past the newest sequence number seen

	// Frame being judged, in sequence order.
	inFrame     bool
	frameTS     uint32
	frameWhole  bool
	pendingLoss bool // a packet was lost between two frames: the next one misses its start
	haveLast    bool
	lastTS      uint32 // timestamp of the last frame started
}

func newVideoStats(frameTicks uint32, h265 bool) *videoStats {
	return &videoStats{frameTicks: max(frameTicks, 1), h265: h265}
}

// push reads one packet, header already parsed; size is the packet's
// length.
func (v *videoStats) push(h rtpHeader, size int) {
	v.counters.packets.Add(1)
	v.counters.bytes.Add(uint64(size))
	if !v.started {
		v.started, v.base, v.next = true, h.seq, h.seq
	}
	ahead := int16(h.seq - v.next) // >= 0: at or after the newest
	if ahead >= 0 && int(ahead) >= resyncJump {
		v.resync(h.seq)
		ahead = 0
	}
	if int16(h.seq-v.base) < 0 {
		return // too late: already counted lost
	}
	for uint16(h.seq-v.base) >= recoveryWindow {
		v.retire()
	}
	s := &v.slots[h.seq%recoveryWindow]
	if s.flags&slotReceived != 0 {
		return // a duplicate
	}
	s.ts, s.flags = h.ts, slotReceived
	if h.marker {
		s.flags |= slotMarker
	}
	if v.continuesFragment(h.payload) {
		s.flags |= slotMidNAL
	}
	if ahead >= 0 {
		v.next = h.seq + 1
	}
}

// flush judges every sequence number still in the window, as if the
// recovery time had passed; for tests and a viewer's last packets.
func (v *videoStats) flush() {
	for v.started && v.base != v.next {
		v.retire()
	}
}

// resync judges the window and starts afresh after a jump too large to
// be loss.
func (v *videoStats) resync(seq uint16) {
	v.counters.resyncs.Add(1)
	v.flush()
	v.base, v.next = seq, seq
	v.inFrame, v.pendingLoss, v.haveLast = false, false, false
}

// retire judges the oldest sequence number of the window and slides it.
func (v *videoStats) retire() {
	s := &v.slots[v.base%recoveryWindow]
	if s.flags&slotReceived == 0 {
		v.counters.lost.Add(1)
		if v.inFrame {
			v.frameWhole = false
		} else {
			v.pendingLoss = true
		}
	} else {
		v.retireReceived(s.ts, s.flags)
	}
	*s = slot{}
	v.base++
	if int16(v.next-v.base) < 0 {
		v.next = v.base
	}
}

func (v *videoStats) retireReceived(ts uint32, flags uint8) {
	v.counters.arrived.Add(1)
	if v.inFrame && ts != v.frameTS {
		v.finishFrame(false) // its marker never came
	}
	if !v.inFrame {
		v.startFrame(ts, flags&slotMidNAL == 0)
		v.pendingLoss = false
	}
	if flags&slotMarker != 0 {
		v.finishFrame(v.frameWhole)
	}
}

// startFrame begins judging a frame at its first packet received. Packets
// lost just before it are its own first packets, unless whole frames are
// missing there: they are then taken to be those frames'.
func (v *videoStats) startFrame(ts uint32, whole bool) {
	missing := uint32(0)
	if v.haveLast {
		if gap := int32(ts - v.lastTS); gap > 0 {
			k := (uint32(gap) + v.frameTicks/2) / v.frameTicks
			if k > 1 && k <= maxFrameGap {
				missing = k - 1
				v.counters.frames.Add(uint64(missing)) // frames that never arrived
			}
		}
	}
	if v.pendingLoss && missing == 0 {
		whole = false
	}
	v.haveLast, v.lastTS = true, ts
	v.inFrame, v.frameTS, v.frameWhole = true, ts, whole
}

func (v *videoStats) finishFrame(whole bool) {
	v.inFrame = false
	v.counters.frames.Add(1)
	if whole {
		v.counters.complete.Add(1)
	}
}

func (v *videoStats) continuesFragment(b []byte) bool {
	if v.h265 {
		return len(b) >= 3 && b[0]>>1&0x3F == h265FU && b[2]&0x80 == 0
	}
	return len(b) >= 2 && b[0]&0x1F == h264FUA && b[1]&0x80 == 0
}
