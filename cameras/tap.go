package cameras

import (
	"vigie/ingest"
	"vigie/sfu"
)

// VideoTap receives a copy of every access unit of the cameras' main
// streams, next to the SFU: the recorder. WriteVideo runs on the camera's
// reading goroutine and must not block; au is valid only during the call.
type VideoTap interface {
	WriteVideo(camera, codec string, pts int64, au [][]byte, keyframe bool)
}

// SetTap installs the tap; cameras already running pass their next access
// unit to it. Nil removes it.
func (r *Registry) SetTap(t VideoTap) {
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
