package sfu

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// receiveMTU is the largest RTP packet read from a publisher.
const receiveMTU = 1500

// packetWriter is where an up track forwards each packet: a subscriber's
// down track in the SFU, a counter in benchmarks.
type packetWriter interface {
	WriteRTP(p *rtp.Packet) error
}

// UpTrack is one published track and the subscribers it fans out to.
// The forwarding path reads the subscriber list through an atomic pointer:
// no lock and no allocation per packet.
type UpTrack struct {
	id     string
	owner  *Peer
	source Source
	remote *webrtc.TrackRemote
	codec  webrtc.RTPCodecCapability

	mu    sync.Mutex // serialises changes of downs
	downs atomic.Pointer[[]*DownTrack]

	in, out flowCounters // written by run only
	tap     *tap         // nil: not recorded (tap.go)

	keyframeEvery   time.Duration
	lastKeyframeReq atomic.Int64 // unix nanoseconds of the last PLI sent
}

func newUpTrack(owner *Peer, remote *webrtc.TrackRemote, source Source) *UpTrack {
	u := &UpTrack{
		id:            owner.id + "-" + string(source),
		owner:         owner,
		source:        source,
		remote:        remote,
		codec:         remote.Codec().RTPCodecCapability,
		keyframeEvery: owner.room.sfu.cfg.KeyframeRequestInterval,
	}
	u.downs.Store(&[]*DownTrack{})
	return u
}

// run forwards the publisher's packets until its track ends.
func (u *UpTrack) run() {
	var f forwarder
	buf := make([]byte, receiveMTU)
	for {
		n, _, err := u.remote.Read(buf)
		if err != nil {
			return
		}
		u.in.add(n)
		if u.tap != nil {
			u.tap.offer(buf[:n])
		}
		downs := u.downs.Load()
		if f.forward(buf[:n], downs) {
			u.out.packets.Add(uint64(len(*downs)))
			u.out.bytes.Add(uint64(len(*downs) * len(f.pkt.Payload)))
		}
	}
}

// forwarder holds the packet decoded again and again in place.
type forwarder struct {
	pkt rtp.Packet
}

// forward decodes one packet and writes it to every subscriber. Header
// extensions are dropped: their ids were negotiated with the publisher, not
// with the subscribers, whose own interceptors add what they need.
func (f *forwarder) forward(b []byte, downs *[]*DownTrack) (sent bool) {
	if err := f.pkt.Unmarshal(b); err != nil {
		return false
	}
	if len(f.pkt.Payload) == 0 {
		return false // padding-only probe: nothing for subscribers
	}
	f.pkt.Extension = false
	f.pkt.Extensions = f.pkt.Extensions[:0]
	for _, d := range *downs {
		d.write(&f.pkt)
	}
	return true
}

func (u *UpTrack) addDown(d *DownTrack) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := *u.downs.Load()
	next := make([]*DownTrack, len(old), len(old)+1)
	copy(next, old)
	next = append(next, d)
	u.downs.Store(&next)
}

func (u *UpTrack) removeDown(d *DownTrack) {
	u.mu.Lock()
	defer u.mu.Unlock()
	old := *u.downs.Load()
	next := make([]*DownTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			next = append(next, x)
		}
	}
	u.downs.Store(&next)
}

// requestKeyframe asks the publisher for a keyframe, at most once per
// keyframeEvery however many subscribers ask.
func (u *UpTrack) requestKeyframe() {
	if u.remote.Kind() != webrtc.RTPCodecTypeVideo {
		return
	}
	now := time.Now().UnixNano()
	last := u.lastKeyframeReq.Load()
	if now-last < int64(u.keyframeEvery) || !u.lastKeyframeReq.CompareAndSwap(last, now) {
		return
	}
	pli := &rtcp.PictureLossIndication{MediaSSRC: uint32(u.remote.SSRC())}
	_ = u.owner.pub.WriteRTCP([]rtcp.Packet{pli}) // fails only once the publisher is gone
}
