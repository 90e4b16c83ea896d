package camsim

import (
	"net/url"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
)

// PlaybackPath is the path of the simulated recorder: it serves the /main
// clip as recorded footage. The requested start is read from an ONVIF
// Profile G "Range: clock=<start>-" on PLAY (with "Require: onvif-replay") or,
// Hikvision style, from a "starttime=20261204T140210Z" query; the PLAY
// answer echoes it as "Range: clock=<start>-", the origin of the footage's
// timestamps.
const PlaybackPath = "/playback"

// PlaybackRequest is one PLAY received on PlaybackPath.
type PlaybackRequest struct {
	Start  time.Time // requested start of the footage, UTC
	ONVIF  bool      // the request carried Require: onvif-replay
	Source string    // "range" or "query": where the start was read
}

// playbackLog keeps the playback requests a server received, for tests.
type playbackLog struct {
	mu   sync.Mutex
	reqs []PlaybackRequest
}

const maxPlaybackLog = 64 // oldest requests are forgotten past this

func (p *playbackLog) add(r PlaybackRequest) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.reqs) == maxPlaybackLog {
		p.reqs = p.reqs[1:]
	}
	p.reqs = append(p.reqs, r)
}

// PlaybackRequests returns the PLAY requests received on PlaybackPath, oldest first.
func (s *Server) PlaybackRequests() []PlaybackRequest {
	s.replays.mu.Lock()
	defer s.replays.mu.Unlock()
	return append([]PlaybackRequest(nil), s.replays.reqs...)
}

// playbackStart reads the requested start of a PLAY on PlaybackPath.
// ok is false when the request names none or a malformed one.
func playbackStart(req *base.Request, query string) (PlaybackRequest, bool) {
	r := PlaybackRequest{}
	for _, v := range req.Header["Require"] {
		if v == "onvif-replay" {
			r.ONVIF = true
		}
	}
	if v, ok := req.Header["Range"]; ok {
		var ra headers.Range
		if err := ra.Unmarshal(v); err == nil {
			if utc, ok := ra.Value.(*headers.RangeUTC); ok {
				r.Start, r.Source = utc.Start.UTC(), "range"
				return r, true
			}
		}
	}
	q, err := url.ParseQuery(query)
	if err != nil {
		return r, false
	}
	if st := q.Get("starttime"); st != "" {
		t, err := time.Parse("20060102T150405Z", st)
		if err != nil {
			return r, false
		}
		r.Start, r.Source = t.UTC(), "query"
		return r, true
	}
	return r, false
}

// playbackResponse answers a PLAY on PlaybackPath: 400 without a start,
// else OK with the start echoed as the footage's clock origin.
func (l *listener) playbackResponse(req *base.Request, query string) *base.Response {
	r, ok := playbackStart(req, query)
	if !ok {
		return &base.Response{StatusCode: base.StatusBadRequest}
	}
	if l.playback != nil {
		l.playback.add(r)
	}
	l.log.Info("camera simulator: playback", "start", r.Start, "onvif", r.ONVIF, "from", r.Source)
	ra := headers.Range{Value: &headers.RangeUTC{Start: r.Start}}
	return &base.Response{StatusCode: base.StatusOK, Header: base.Header{"Range": ra.Marshal()}}
}

// OnPause implements gortsplib.ServerHandlerOnPause: the recorder pauses,
// live cameras do not.
func (l *listener) OnPause(ctx *gortsplib.ServerHandlerOnPauseCtx) (*base.Response, error) {
	if ctx.Path != PlaybackPath {
		return &base.Response{StatusCode: base.StatusNotImplemented}, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}
