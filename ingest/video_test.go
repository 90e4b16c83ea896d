package ingest

import (
	"log/slog"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

func testRTP(pt uint8, seq uint16, ts uint32, payload []byte) *rtp.Packet {
	return &rtp.Packet{
		Header:  rtp.Header{Version: 2, PayloadType: pt, SequenceNumber: seq, Timestamp: ts, Marker: true, SSRC: 1234},
		Payload: payload,
	}
}

// trackEvents records what a track tells its session.
type trackEvents struct {
	units  int
	lives  int
	aborts []error
}

func (e *trackEvents) decoded()        { e.units++ }
func (e *trackEvents) live()           { e.lives++ }
func (e *trackEvents) abort(err error) { e.aborts = append(e.aborts, err) }

func newTestVideoTrack(t *testing.T, rec *recorder) (*videoTrack, *trackEvents) {
	dec, _ := decoderFor(t, codecH264)
	sink, _ := rec.Video("H264")
	ev := &trackEvents{}
	tl := newTimeline(90000, (&fakeClock{t: time.Unix(1_700_000_000, 0)}).now)
	shaper := newAUShaper(codecH264, nil, testSPS264, testPPS264)
	return newVideoTrack(codecH264, dec, shaper, tl, sink, slog.New(slog.DiscardHandler), ev), ev
}

func TestVideoTrackOrder(t *testing.T) {
	cases := []struct {
		name    string
		pts     []int64 // presentation times of IDR, then P frames, in sending order
		written int
		abort   string
	}{
		{name: "in order", pts: []int64{0, 3600, 7200, 7200, 10800}, written: 5},
		{name: "B-frames", pts: []int64{0, 10800, 3600, 7200}, written: 2, abort: reasonBFrames},
		{name: "camera clock reset", pts: []int64{900000, 903600, 3600, 7200}, written: 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder()
			v, ev := newTestVideoTrack(t, rec)
			for i, pts := range tc.pts {
				nalu := slice264
				if i == 0 {
					nalu = idr264
				}
				v.onPacket(testRTP(96, uint16(i), uint32(pts), nalu), pts, true)
			}
			frames := rec.videos["H264"].frames
			if len(frames) != tc.written {
				t.Fatalf("%d frames written, want %d", len(frames), tc.written)
			}
			checkIncreasing(t, "video", rec.videos["H264"].ptsList())
			if ev.lives != 1 {
				t.Errorf("live reported %d times, want once", ev.lives)
			}
			switch {
			case tc.abort == "" && len(ev.aborts) > 0:
				t.Errorf("aborted: %v", ev.aborts)
			case tc.abort != "" && (len(ev.aborts) != 1 || ev.aborts[0].Error() != tc.abort):
				t.Errorf("aborts %v, want one %q", ev.aborts, tc.abort)
			}
		})
	}
}

// TestVideoTrackLiveAfterBFrames: after a B-frames failure, the tile turns live only once
// enough frames came in order.
func TestVideoTrackLiveAfterBFrames(t *testing.T) {
	rec := newRecorder()
	v, ev := newTestVideoTrack(t, rec)
	v.liveAfter = bFramesProof
	for i := range bFramesProof {
		nalu := slice264
		if i == 0 {
			nalu = idr264
		}
		if ev.lives != 0 {
			t.Fatalf("live after %d frames", i)
		}
		v.onPacket(testRTP(96, uint16(i), uint32(i*3600), nalu), int64(i*3600), true)
	}
	if ev.lives != 1 || ev.units != bFramesProof {
		t.Fatalf("live %d times after %d frames (%d decoded)", ev.lives, bFramesProof, ev.units)
	}
}

// TestWriteAUAllocations: once parameter sets are known, handing an access unit to the sink
// allocates nothing, keyframes included.
func TestWriteAUAllocations(t *testing.T) {
	v, _ := newTestVideoTrack(t, newRecorder())
	v.sink = discardSink{}
	key := [][]byte{aud264, idr264}
	frame := [][]byte{slice264}
	pts := int64(0)
	allocs := testing.AllocsPerRun(200, func() {
		pts += 3600
		v.writeAU(key, pts)
		pts += 3600
		v.writeAU(frame, pts)
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per pair of access units", allocs)
	}
}

type discardSink struct{}

func (discardSink) WriteVideo(int64, [][]byte, bool) {}

func TestVideoTrackWaitsForTimestamp(t *testing.T) {
	rec := newRecorder()
	v, ev := newTestVideoTrack(t, rec)
	v.onPacket(testRTP(96, 1, 100, slice264), 0, false)
	if len(rec.videos["H264"].frames) != 0 || ev.lives != 0 || v.noPTS != 1 {
		t.Fatalf("a unit without timestamp was written (noPTS %d)", v.noPTS)
	}
	v.onPacket(testRTP(96, 2, 3700, idr264), 0, true)
	frames := rec.videos["H264"].frames
	if len(frames) != 1 || !frames[0].key || ev.lives != 1 {
		t.Fatalf("keyframe not written: %+v", frames)
	}
	checkKeyframePrefix(t, codecH264, frames)
}

func TestAudioTrack(t *testing.T) {
	rec := newRecorder()
	sink, _ := rec.Audio("PCMU", 8000, 1)
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	a := newAudioTrack(newTimeline(8000, clock.now), sink, 8000)
	payload := make([]byte, 160)
	for i, pts := range []int64{0, 160, 320, 160, 480, -100000, -99840} {
		a.onPacket(testRTP(0, uint16(i), uint32(pts), payload), pts, true)
	}
	a.onPacket(testRTP(0, 9, 0, payload), 0, false)
	a.onPacket(testRTP(0, 10, 0, nil), 640, true)
	got := rec.audios["PCMU"].ptsList()
	// The repeated 160 is dropped; the jump back by more than a second is a clock reset.
	if len(got) != 6 {
		t.Fatalf("PTS written %v, want 6 packets", got)
	}
	checkIncreasing(t, "audio", got)
	if got[5]-got[4] != 160 {
		t.Fatalf("after the reset, packets are %d apart, want 160", got[5]-got[4])
	}
}

// BenchmarkVideoTrack measures ingest's own work per RTP packet (depacketizing included),
// on a 25-frame GOP of one-packet frames.
func BenchmarkVideoTrack(b *testing.B) {
	dec, _ := (&format.H264{PayloadTyp: 96, PacketizationMode: 1}).CreateDecoder()
	tl := newTimeline(90000, time.Now)
	shaper := newAUShaper(codecH264, nil, testSPS264, testPPS264)
	v := newVideoTrack(codecH264, dec, shaper, tl, discardSink{}, slog.New(slog.DiscardHandler), &trackEvents{})
	idr, frame := slice([]byte{0x65, 0x88}, 1000), slice([]byte{0x41, 0x9a}, 1000)
	pkt := testRTP(96, 0, 0, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		pkt.Payload = frame
		if i%25 == 0 {
			pkt.Payload = idr
		}
		pkt.SequenceNumber = uint16(i)
		pkt.Timestamp = uint32(i) * 3600
		v.onPacket(pkt, int64(i)*3600, true)
	}
}
