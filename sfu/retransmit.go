package sfu

import (
	"sync"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Retransmissions to camera viewers. pion's NACK responder keeps a copy of
// every packet sent to every viewer (1,024 packets of 1.5 kB: 1.5 MB per
// viewer). A camera's viewers all receive the same payloads, which the
// feed's keyframe cache already holds, so a viewer only remembers which
// frame and which part of it each recent sequence number carried (16 bytes
// a packet), and a lost packet is cut again from the cache.

// historySize is how many packets a viewer can ask again: 2.4 s of a
// 2 Mbit/s camera, longer than any round trip worth retransmitting over.
const historySize = 512

// sentPacket locates a sent packet in the keyframe cache.
type sentPacket struct {
	gen    uint32 // the cache's generation when sent
	frame  int32  // index of its access unit in the cache; -1: not cached
	part   uint16 // rank of its payload in the access unit
	seq    uint16
	ts     uint32
	marker bool
}

// remember notes what v was sent. Called with f.mu held.
func (f *Feed) remember(v *feedViewer, part, seq uint16, ts uint32, marker bool) {
	if v.history == nil {
		return
	}
	v.history[seq%historySize] = sentPacket{gen: f.cache.gen, frame: f.frame, part: part, seq: seq, ts: ts, marker: marker}
}

// retransmit sends v again the packets a NACK lists that the cache still
// holds; it returns how many it sent.
func (f *Feed) retransmit(v *feedViewer, nack *rtcp.TransportLayerNack) (sent int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v.history == nil || v.state == viewerPending {
		return 0
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2}}
	for i := range nack.Nacks {
		nack.Nacks[i].Range(func(seq uint16) bool {
			h := v.history[seq%historySize]
			if h.seq != seq {
				return true
			}
			au, ok := f.cache.sent(h.gen, h.frame, f.scratch)
			f.scratch = au
			if !ok {
				return true
			}
			f.nth = nthPayload{want: int(h.part), out: f.nth.out}
			f.z.each(au, &f.nth)
			if !f.nth.found {
				return true
			}
			pkt.SequenceNumber, pkt.Timestamp, pkt.Marker = seq, h.ts, h.marker
			pkt.Payload = f.nth.out
			if v.local.WriteRTP(&pkt) == nil {
				sent++
			}
			return true
		})
	}
	return sent
}

// feedSSRCs are the SSRCs of camera tracks sent to viewers: pion's NACK
// responder leaves them to retransmit. A browser track that drew the same
// random SSRC would only lose pion's retransmissions.
type feedSSRCs struct{ m sync.Map }

func (s *feedSSRCs) add(ssrc webrtc.SSRC)    { s.m.Store(ssrc, struct{}{}) }
func (s *feedSSRCs) remove(ssrc webrtc.SSRC) { s.m.Delete(ssrc) }
func (s *feedSSRCs) has(ssrc webrtc.SSRC) bool {
	_, ok := s.m.Load(ssrc)
	return ok
}
