package cameras

import (
	"context"
	"fmt"
	"sync"

	"github.com/pion/webrtc/v4"

	"vigie/ingest"
	"vigie/sfu"
)

// camera is one camera: its ingest, its feeds and the rooms showing it. It
// is the ingest's Publisher.
type camera struct {
	reg       *Registry
	cfg       Camera
	ingest    *ingest.Camera
	subIngest *ingest.Camera // nil without a sub-stream

	// Under mu too: the WHEP viewers holding the camera (watch.go), and a
	// channel closed once the camera has a video feed.
	watchers   int
	videoReady chan struct{}

	mu      sync.Mutex
	rooms   map[string]bool
	video   *sfu.Feed
	audio   *sfu.Feed
	subFeed *sfu.Feed
	vcodec  string
	acodec  string
	status  Status
	running bool
	stop    context.CancelFunc

	reconnects uint64 // live stream lost, see health.go
}

func newCamera(r *Registry, c Camera) (*camera, error) {
	cam := &camera{reg: r, cfg: c, rooms: map[string]bool{}, videoReady: make(chan struct{}), status: Status{ID: c.ID, Name: c.Name, State: string(ingest.StateConnecting)}}
	if cam.status.Name == "" {
		cam.status.Name = c.ID
	}
	in, err := newIngest(c, c.URL, cam, r.log)
	if err != nil {
		return nil, fmt.Errorf("camera %q: %w", c.ID, err)
	}
	cam.ingest = in
	if c.SubURL != "" {
		if cam.subIngest, err = newIngest(c, c.SubURL, substream{cam}, r.log.With("stream", "sub")); err != nil {
			return nil, fmt.Errorf("camera %q sub-stream: %w", c.ID, err)
		}
	}
	return cam, nil
}

// attach adds a room; true when the ingest must start.
func (c *camera) attach(roomID string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rooms[roomID] {
		return false
	}
	c.rooms[roomID] = true
	for _, f := range []*sfu.Feed{c.video, c.audio} {
		if f != nil {
			if err := c.reg.media.AttachFeed(roomID, f); err != nil {
				c.reg.log.Error("show camera", "camera", c.cfg.ID, "room", roomID, "err", err)
			}
		}
	}
	return !c.running
}

func (c *camera) detach(roomID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.rooms[roomID] {
		return
	}
	delete(c.rooms, roomID)
	for _, f := range []*sfu.Feed{c.video, c.audio} {
		if f != nil {
			c.reg.media.DetachFeed(roomID, f)
		}
	}
	c.stopIfUnusedLocked()
}

// begin marks the ingest running and gives it a context of its own.
func (c *camera) begin(parent context.Context) (context.Context, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return nil, false
	}
	ctx, stop := context.WithCancel(parent)
	c.running, c.stop = true, stop
	return ctx, true
}

func (c *camera) ended() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.running = false
	c.stop()
	c.stop = nil
}

func (c *camera) statusIn(roomID string) (Status, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status, c.rooms[roomID]
}

func (c *camera) roomList() []string {
	list := make([]string, 0, len(c.rooms))
	for id := range c.rooms {
		list = append(list, id)
	}
	return list
}

// Video returns the camera's video feed for codec, replacing the feed
// when the camera changed codec. The same codec keeps the same feed, so
// viewers keep their tracks across reconnections.
func (c *camera) Video(codec string) (ingest.VideoSink, error) {
	cap, err := videoCodec(codec)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.video != nil && c.vcodec == codec {
		return c.tapped(c.video, codec), nil
	}
	f, err := c.replaceFeed(&c.video, cap)
	c.vcodec = codec
	if f != nil {
		c.markVideoReadyLocked()
	}
	if f != nil && c.subFeed != nil {
		f.SetSubstream(c.subFeed)
	}
	if err != nil {
		return nil, err
	}
	return c.tapped(f, codec), nil
}

// Audio returns the camera's audio feed, as Video does.
func (c *camera) Audio(codec string, clockRate, channels int) (ingest.AudioSink, error) {
	cap, err := audioCodec(codec, clockRate, channels)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.audio != nil && c.acodec == codec {
		return c.tappedAudio(c.audio, codec, clockRate, channels), nil
	}
	f, err := c.replaceFeed(&c.audio, cap)
	c.acodec = codec
	if err != nil {
		return nil, err
	}
	return c.tappedAudio(f, codec, clockRate, channels), nil
}

// replaceFeed swaps *slot for a new feed in every room. Called with c.mu.
func (c *camera) replaceFeed(slot **sfu.Feed, codec webrtc.RTPCodecCapability) (*sfu.Feed, error) {
	f, err := sfu.NewFeed(sfu.FeedConfig{Camera: c.cfg.ID, Codec: codec})
	if err != nil {
		return nil, err
	}
	for roomID := range c.rooms {
		if *slot != nil {
			c.reg.media.DetachFeed(roomID, *slot)
		}
		if err := c.reg.media.AttachFeed(roomID, f); err != nil {
			c.reg.log.Error("show camera", "camera", c.cfg.ID, "room", roomID, "err", err)
		}
	}
	*slot = f
	return f, nil
}

// Status records and announces a state change.
func (c *camera) Status(s ingest.Status) {
	c.mu.Lock()
	if lost(c.status.State, s.State) {
		c.reconnects++
	}
	c.status = Status{
		ID: c.cfg.ID, Name: c.status.Name, State: string(s.State), Reason: s.Reason,
		Video: s.Video, Audio: s.Audio, AudioNote: s.AudioNote,
	}
	st, rooms := c.status, c.roomList()
	c.mu.Unlock()
	if c.reg.onStatus != nil {
		c.reg.onStatus(rooms, st)
	}
}

func videoCodec(codec string) (webrtc.RTPCodecCapability, error) {
	switch codec {
	case "H264":
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}, nil
	case "H265":
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH265, ClockRate: 90000}, nil
	}
	return webrtc.RTPCodecCapability{}, fmt.Errorf("video codec %s not supported", codec)
}

func audioCodec(codec string, clockRate, channels int) (webrtc.RTPCodecCapability, error) {
	switch codec {
	case "PCMU":
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000}, nil
	case "PCMA":
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMA, ClockRate: 8000}, nil
	case "Opus":
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}, nil
	}
	return webrtc.RTPCodecCapability{}, fmt.Errorf("audio codec %s (%d Hz, %d channels) not supported", codec, clockRate, channels)
}

// substream is the Publisher of a camera's sub-stream: its video becomes
// the main feed's sub-stream; its audio and state are the main stream's
// business.
type substream struct{ c *camera }

func (s substream) Video(codec string) (ingest.VideoSink, error) {
	cap, err := videoCodec(codec)
	if err != nil {
		return nil, err
	}
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.subFeed != nil && c.subFeed.Codec().MimeType == cap.MimeType {
		return c.subFeed, nil
	}
	f, err := sfu.NewFeed(sfu.FeedConfig{Camera: c.cfg.ID, Codec: cap})
	if err != nil {
		return nil, err
	}
	c.subFeed = f
	if c.video != nil {
		c.video.SetSubstream(f)
	}
	return f, nil
}

func (s substream) Audio(string, int, int) (ingest.AudioSink, error) { return discard{}, nil }

func (s substream) Status(st ingest.Status) {
	s.c.reg.log.Info("camera sub-stream", "camera", s.c.cfg.ID, "state", st.State, "reason", st.Reason)
}

// discard drops the sub-stream's audio: the main stream's is played.
type discard struct{}

func (discard) WriteAudio(int64, []byte) {}
