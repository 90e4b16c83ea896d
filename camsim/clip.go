package camsim

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts"
	tscodecs "github.com/bluenviron/mediacommon/v2/pkg/formats/mpegts/codecs"
	"github.com/pion/rtp"
)

// clipFiles holds the recorded clips every simulated camera loops over.
// testdata/make-clips.sh remakes them.
//
//go:embed testdata/*.ts testdata/*.ulaw
var clipFiles embed.FS

// mpegtsClock is the MPEG-TS timestamp rate, also the RTP clock of video.
const mpegtsClock = 90000

// Payload types of the simulated cameras' SDP, as common cameras number them.
const (
	payloadVideo = 96
	payloadAAC   = 97
	payloadPCMU  = 0
)

// g711Packet is the duration of one G.711 RTP packet, as most cameras send.
const g711Packet = 20 * time.Millisecond

// clipSource names the files one camera path plays.
type clipSource struct {
	path string // RTSP path, "/main"
	ts   string // MPEG-TS file with the video (and AAC audio, if any)
	ulaw string // raw G.711 μ-law 8 kHz mono audio to play along, if any
}

// catalogue lists the simulated cameras' paths and the clips they play.
func catalogue() []clipSource {
	return []clipSource{
		{path: "/main", ts: "main.ts"},
		{path: "/sub", ts: "sub.ts"},
		{path: "/h265", ts: "h265.ts"},
		{path: "/bframes", ts: "bframes.ts"},
		{path: "/aac", ts: "aac.ts"},
		{path: "/g711", ts: "g711.ts", ulaw: "g711.ulaw"},
		{path: "/bench2m", ts: "bench2m.ts"},
	}
}

// clip is one recording ready to be looped: its SDP and its access units,
// already cut into RTP packets. Only sequence numbers and timestamps change
// from one loop to the next.
type clip struct {
	desc   *description.Session
	tracks []clipTrack
	frames []clipFrame   // in sending (decode) order
	length time.Duration // duration of one loop
}

// clipTrack is one media of a clip.
type clipTrack struct {
	media     *description.Media
	clockRate int
	loopTicks uint32 // one loop's length in the media clock
}

// clipFrame is one access unit of one track.
type clipFrame struct {
	track   int
	at      time.Duration // when to send it, from the loop start (decode time)
	ts      uint32        // RTP timestamp from the loop start (presentation time)
	pts     time.Duration // presentation time from the loop start
	packets []*rtp.Packet
}

// loadClip reads one camera's files from the embedded clips.
func loadClip(src clipSource) (*clip, error) {
	data, err := clipFiles.ReadFile("testdata/" + src.ts)
	if err != nil {
		return nil, err
	}
	c, err := readTS(data)
	if err != nil {
		return nil, fmt.Errorf("clip %s: %w", src.ts, err)
	}
	if src.ulaw != "" {
		samples, err := clipFiles.ReadFile("testdata/" + src.ulaw)
		if err != nil {
			return nil, err
		}
		if err := c.addG711(samples); err != nil {
			return nil, fmt.Errorf("clip %s: %w", src.ulaw, err)
		}
	}
	slices.SortStableFunc(c.frames, func(a, b clipFrame) int { return int(a.at - b.at) })
	c.desc = &description.Session{}
	for _, t := range c.tracks {
		c.desc.Medias = append(c.desc.Medias, t.media)
	}
	return c, nil
}

// videoAU is one video access unit as read from MPEG-TS (90 kHz clock).
type videoAU struct {
	pts, dts int64
	nalus    [][]byte
}

// audioAU is one AAC access unit as read from MPEG-TS (90 kHz clock).
type audioAU struct {
	pts int64
	au  []byte
}

// tsContent is what readTS collects from a file before building the clip.
type tsContent struct {
	video  []videoAU
	h265   bool
	audio  []audioAU
	aacCfg *tscodecs.MPEG4Audio
}

// readTS parses an MPEG-TS clip holding H.264 or H.265 video and optional
// AAC audio.
func readTS(data []byte) (*clip, error) {
	r := &mpegts.Reader{R: bytes.NewReader(data)}
	if err := r.Initialize(); err != nil {
		return nil, err
	}
	var content tsContent
	if err := content.subscribe(r); err != nil {
		return nil, err
	}
	for {
		err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return content.build()
}

// subscribe registers the callbacks that collect the video and audio tracks.
// One time decoder serves every track so they keep a common time base.
func (tc *tsContent) subscribe(r *mpegts.Reader) error {
	if len(r.Tracks()) == 0 {
		return errors.New("no tracks")
	}
	var td mpegts.TimeDecoder
	td.Initialize()
	onVideo := func(pts, dts int64, au [][]byte) error {
		dts = td.Decode(dts)
		tc.video = append(tc.video, videoAU{pts: td.Decode(pts), dts: dts, nalus: copyNALUs(au)})
		return nil
	}
	for _, track := range r.Tracks() {
		switch codec := track.Codec.(type) {
		case *tscodecs.H264:
			r.OnDataH264(track, onVideo)
		case *tscodecs.H265:
			tc.h265 = true
			r.OnDataH265(track, onVideo)
		case *tscodecs.MPEG4Audio:
			tc.aacCfg = codec
			r.OnDataMPEG4Audio(track, func(pts int64, aus [][]byte) error {
				pts = td.Decode(pts)
				step := int64(mpegtsClock * 1024 / codec.SampleRate)
				for i, au := range aus {
					tc.audio = append(tc.audio, audioAU{pts: pts + int64(i)*step, au: bytes.Clone(au)})
				}
				return nil
			})
		}
	}
	return nil
}

func copyNALUs(au [][]byte) [][]byte {
	out := make([][]byte, len(au))
	for i, nalu := range au {
		out[i] = bytes.Clone(nalu)
	}
	return out
}

// build turns the collected access units into a clip whose time zero is
// the first video decode time and whose length is a whole number of frames.
func (tc *tsContent) build() (*clip, error) {
	if len(tc.video) < 2 {
		return nil, errors.New("no video track, or fewer than two frames")
	}
	base := tc.video[0].dts
	last := tc.video[len(tc.video)-1].dts
	frameTicks := (last - base) / int64(len(tc.video)-1)
	loopTicks := last - base + frameTicks
	c := &clip{length: ticksToDuration(loopTicks, mpegtsClock)}
	if err := tc.addVideo(c, base); err != nil {
		return nil, err
	}
	if tc.aacCfg != nil {
		if err := tc.addAAC(c, base, loopTicks); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (tc *tsContent) addVideo(c *clip, base int64) error {
	forma, err := tc.videoFormat()
	if err != nil {
		return err
	}
	encode, err := videoEncoder(forma)
	if err != nil {
		return err
	}
	track := c.addTrack(description.MediaTypeVideo, forma)
	for _, au := range tc.video {
		pkts, err := encode(au.nalus)
		if err != nil {
			return err
		}
		c.frames = append(c.frames, clipFrame{
			track:   track,
			at:      ticksToDuration(au.dts-base, mpegtsClock),
			ts:      uint32(au.pts - base),
			pts:     ticksToDuration(au.pts-base, mpegtsClock),
			packets: pkts,
		})
	}
	return nil
}

// videoFormat describes the video track with the parameter sets found in
// front of the first keyframe, for sprop-parameter-sets and sprop-vps/sps/pps.
func (tc *tsContent) videoFormat() (format.Format, error) {
	for _, au := range tc.video {
		ps := findParamSets(au.nalus, tc.h265)
		if ps == nil {
			continue
		}
		if tc.h265 {
			return &format.H265{PayloadTyp: payloadVideo, VPS: ps.vps, SPS: ps.sps, PPS: ps.pps}, nil
		}
		return &format.H264{PayloadTyp: payloadVideo, PacketizationMode: 1, SPS: ps.sps, PPS: ps.pps}, nil
	}
	return nil, errors.New("no parameter sets (SPS/PPS) in the video")
}

// videoEncoder returns a function that cuts a video access unit into RTP packets.
func videoEncoder(forma format.Format) (func([][]byte) ([]*rtp.Packet, error), error) {
	switch f := forma.(type) {
	case *format.H264:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	case *format.H265:
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		return enc.Encode, nil
	}
	return nil, fmt.Errorf("unsupported video format %s", forma.Codec())
}

// addAAC adds the AAC track, one RTP packet per access unit. Audio outside
// the video's loop is left out so every loop has the same length.
func (tc *tsContent) addAAC(c *clip, base, loopTicks int64) error {
	cfg := tc.aacCfg.Config
	forma := &format.MPEG4Audio{
		PayloadTyp:       payloadAAC,
		ProfileLevelID:   1,
		Config:           &cfg,
		SizeLength:       13,
		IndexLength:      3,
		IndexDeltaLength: 3,
	}
	enc, err := forma.CreateEncoder()
	if err != nil {
		return err
	}
	track := c.addTrack(description.MediaTypeAudio, forma)
	for _, au := range tc.audio {
		rel := au.pts - base
		if rel < 0 || rel >= loopTicks {
			continue
		}
		pkts, err := enc.Encode([][]byte{au.au})
		if err != nil {
			return err
		}
		c.frames = append(c.frames, clipFrame{
			track:   track,
			at:      ticksToDuration(rel, mpegtsClock),
			ts:      uint32(rel * int64(cfg.SampleRate) / mpegtsClock),
			pts:     ticksToDuration(rel, mpegtsClock),
			packets: pkts,
		})
	}
	return nil
}

// addG711 adds raw μ-law 8 kHz mono samples as a PCMU track in 20 ms
// packets, cut or left short to the video's loop.
func (c *clip) addG711(samples []byte) error {
	forma := &format.G711{PayloadTyp: payloadPCMU, MULaw: true, SampleRate: 8000, ChannelCount: 1}
	enc, err := forma.CreateEncoder()
	if err != nil {
		return err
	}
	track := c.addTrack(description.MediaTypeAudio, forma)
	perPacket := int(g711Packet * 8000 / time.Second)
	loopSamples := int(int64(c.length) * 8000 / int64(time.Second))
	samples = samples[:min(len(samples), loopSamples)]
	for pos := 0; pos+perPacket <= len(samples); pos += perPacket {
		pkts, err := enc.Encode(samples[pos : pos+perPacket])
		if err != nil {
			return err
		}
		at := ticksToDuration(int64(pos), 8000)
		c.frames = append(c.frames, clipFrame{track: track, at: at, ts: uint32(pos), pts: at, packets: pkts})
	}
	return nil
}

// addTrack adds a media to the clip and returns its index.
func (c *clip) addTrack(kind description.MediaType, forma format.Format) int {
	c.tracks = append(c.tracks, clipTrack{
		media:     &description.Media{Type: kind, Formats: []format.Format{forma}},
		clockRate: forma.ClockRate(),
		loopTicks: uint32(int64(c.length) * int64(forma.ClockRate()) / int64(time.Second)),
	})
	return len(c.tracks) - 1
}

func ticksToDuration(ticks int64, clockRate int) time.Duration {
	return time.Duration(ticks) * time.Second / time.Duration(clockRate)
}
