package record

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
)

// Duplicated packets (a retransmission of a packet that was only late, or
// a duplicate on the network) that come after their frame was written are
// neither loss nor a frame of their own: every frame is written once, in
// order, and no keyframe is asked for.
func TestParticipantTrackIgnoresDuplicates(t *testing.T) {
	for _, c := range participantCases {
		for _, after := range []int{1, 5, 40} {
			t.Run(fmt.Sprintf("%s/%d_later", c.name, after), func(t *testing.T) {
				frames := c.frames(t)
				pkts := packetize(t, c.kind, frames)
				var in []*rtp.Packet
				for i, p := range pkts {
					in = append(in, p)
					if i >= after && i%11 == 0 {
						in = append(in, pkts[i-after].Clone())
					}
				}
				expectWholeClip(t, c, frames, in)
			})
		}
	}
}

// RTP timestamps that wrap past 2^32 in the middle of a file change
// nothing: one file, as long as the clip, every frame in it.
func TestParticipantTrackTimestampWrap(t *testing.T) {
	for _, c := range participantCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.frames(t)
			pkts := packetize(t, c.kind, frames)
			mid := frames[len(frames)/2].ts + 4000000000
			for _, p := range pkts {
				p.Timestamp -= mid // the clip's middle frame at 0
			}
			expectWholeClip(t, c, frames, pkts)
		})
	}
}
