package cameras

import (
	"vigie/ingest"
	"vigie/sfu"
)

// Tap receives a copy of what the cameras' main streams produce, next to
// the SFU: the recorder. Its methods run on the camera's reading
// goroutines and must not block; au and payload are valid only during the
// call.
type Tap interface {
	WriteVideo(camera, codec string, pts int64, au [][]byte, keyframe bool)
	WriteAudio(camera, codec string, clockRate, channels int, pts int64, payload []byte)
}

// SetTap installs the tap; cameras already running pass their next access
// unit to it. Nil removes it.
func (r *Registry) SetTap(t Tap) {
	if t == nil {
		r.tap.Store(nil)
		return
	}
	r.tap.Store(&t)
}

// tappedVideo is a camera's video sink: the SFU feed first, then the tap.
type tappedVideo struct {
	feed   *sfu.Feed
	reg    *Registry
	camera string
	codec  string
}

func (c *camera) tapped(f *sfu.Feed, codec string) ingest.VideoSink {
	return tappedVideo{feed: f, reg: c.reg, camera: c.cfg.ID, codec: codec}
}

func (v tappedVideo) WriteVideo(pts int64, au [][]byte, keyframe bool) {
	v.feed.WriteVideo(pts, au, keyframe)
	if t := v.reg.tap.Load(); t != nil {
		(*t).WriteVideo(v.camera, v.codec, pts, au, keyframe)
	}
}

// tappedAudio is a camera's audio sink: the SFU feed first, then the tap.
type tappedAudio struct {
	feed           *sfu.Feed
	reg            *Registry
	camera, codec  string
	rate, channels int
}

func (c *camera) tappedAudio(f *sfu.Feed, codec string, rate, channels int) ingest.AudioSink {
	return tappedAudio{feed: f, reg: c.reg, camera: c.cfg.ID, codec: codec, rate: rate, channels: channels}
}

func (a tappedAudio) WriteAudio(pts int64, payload []byte) {
	a.feed.WriteAudio(pts, payload)
	if t := a.reg.tap.Load(); t != nil {
		(*t).WriteAudio(a.camera, a.codec, a.rate, a.channels, pts, payload)
	}
}
