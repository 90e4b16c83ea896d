package camsim

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

// camera is one simulated camera path: it plays its clip in a loop, in real
// time, whether or not anyone watches, into the RTSP stream of the moment
// (none while the server is down).
type camera struct {
	path   string
	clip   *clip
	log    *slog.Logger
	stream atomic.Pointer[gortsplib.ServerStream]
}

// trackClock is the RTP numbering of one track, kept across loops so a
// receiver sees one continuous stream.
type trackClock struct {
	seq    uint16
	tsBase uint32
}

// lateLimit is how far behind the wall clock a frame may fall and still be
// sent; later frames are skipped, as a stalled camera loses them, instead of
// being sent in a burst.
const lateLimit = time.Second

// run sends the clip's frames on the wall clock from start until ctx ends.
// Loop n is sent from start + n×length, and its RTP timestamps are the
// clip's plus n loops' worth of ticks, so time never jumps back.
func (c *camera) run(ctx context.Context, start time.Time) {
	clocks := make([]trackClock, len(c.clip.tracks))
	for i := range clocks {
		clocks[i] = trackClock{seq: uint16(rand.Uint32()), tsBase: rand.Uint32()}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for loop := uint32(0); ; loop++ {
		loopStart := start.Add(time.Duration(loop) * c.clip.length)
		for i := range c.clip.frames {
			f := &c.clip.frames[i]
			late, ok := sleepUntil(ctx, timer, loopStart.Add(f.at))
			if !ok {
				return
			}
			if late <= lateLimit {
				c.send(f, loop, loopStart, clocks)
			}
		}
	}
}

// sleepUntil waits for the wall clock to reach t and says how late it woke;
// ok is false when ctx ended first.
func sleepUntil(ctx context.Context, timer *time.Timer, t time.Time) (late time.Duration, ok bool) {
	d := time.Until(t)
	if d <= 0 {
		return -d, ctx.Err() == nil
	}
	timer.Reset(d)
	select {
	case <-ctx.Done():
		return 0, false
	case <-timer.C:
		return 0, true
	}
}

// send writes one frame's packets to the current stream, if any. Sequence
// numbers advance only for packets sent, as a camera's would.
func (c *camera) send(f *clipFrame, loop uint32, loopStart time.Time, clocks []trackClock) {
	st := c.stream.Load()
	if st == nil {
		return
	}
	track := &c.clip.tracks[f.track]
	clock := &clocks[f.track]
	ts := clock.tsBase + f.ts + loop*track.loopTicks
	ntp := loopStart.Add(f.pts)
	for _, pkt := range f.packets {
		pkt.SequenceNumber = clock.seq
		pkt.Timestamp = ts
		clock.seq++
		err := st.WritePacketRTPWithNTP(track.media, pkt, ntp)
		if err != nil {
			if !errors.Is(err, liberrors.ErrServerStreamClosed{}) {
				c.log.Warn("camera simulator: write packet", "path", c.path, "err", err)
			}
			return
		}
	}
}
