package ingest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"
)

// bFramesProof is how many access units in presentation order show that a camera which
// used B-frames no longer does: B-frames show up by the third access unit of a GOP.
const bFramesProof = 8

// sessionEnd is how one RTSP session ended.
type sessionEnd struct {
	err     error
	liveFor time.Duration // 0 if it never went live
}

// session is one RTSP connection to the camera, from DESCRIBE to its end.
type session struct {
	cam     *Camera
	damage  *damageLog
	aborted chan struct{} // closed by abort
	once    sync.Once
	reason  error        // why it was aborted; written before aborted is closed
	liveAt  atomic.Int64 // Unix nanoseconds of the first access unit; 0 before
	playing atomic.Bool  // PLAY succeeded
	units   atomic.Uint64
}

// decoded counts access units for the stall watchdog.
func (s *session) decoded() { s.units.Add(1) }

// live is called by the video track once the session shows pictures.
func (s *session) live() {
	s.liveAt.Store(s.cam.now().UnixNano())
	s.cam.status.setState(StateLive, "")
}

// abort ends the session from gortsplib's reading goroutine, which cannot close the client
// itself (closing waits for that goroutine).
func (s *session) abort(err error) {
	s.once.Do(func() {
		s.reason = err
		close(s.aborted)
	})
}

// runSession plays one RTSP session until it fails, is aborted or ctx ends. When it returns
// the client is closed and all of gortsplib's goroutines for it have ended.
func (c *Camera) runSession(ctx context.Context) sessionEnd {
	s := &session{cam: c, aborted: make(chan struct{}), damage: newDamageLog(c.log, c.now)}
	client := c.newClient(s.damage)
	if err := client.Start(); err != nil {
		return sessionEnd{err: err}
	}
	// The supervisor owns the client's end: it closes it when ctx ends, when a track aborts
	// the session, when the stream stalls, or when this function is done with it.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s.supervise(ctx, done)
		client.Close()
	})
	err := s.play(client)
	if err == nil {
		s.playing.Store(true)
		err = client.Wait()
	}
	close(done)
	wg.Wait()
	s.damage.flush()

	select {
	case <-s.aborted:
		err = s.reason
	default:
	}
	end := sessionEnd{err: err}
	if at := s.liveAt.Load(); at != 0 {
		end.liveFor = c.now().Sub(time.Unix(0, at))
	}
	return end
}

// supervise returns when the session must end. While playing, it aborts the session if no
// video access unit came out during a whole ReadTimeout: some cameras keep the connection
// and its RTCP reports alive while their encoder has stopped, which gortsplib's own read
// timeout does not see.
func (s *session) supervise(ctx context.Context, done <-chan struct{}) {
	tick := time.NewTicker(s.cam.set.readTimeout)
	defer tick.Stop()
	var seen uint64
	armed := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.aborted:
			return
		case <-done:
			return
		case <-tick.C:
		}
		if !s.playing.Load() {
			continue
		}
		n := s.units.Load()
		if armed && n == seen {
			s.abort(&sessionError{state: StateReconnecting, reason: reasonStopped})
			return
		}
		seen, armed = n, true
	}
}

func (c *Camera) newClient(damage *damageLog) *gortsplib.Client {
	protocol := gortsplib.ProtocolTCP
	if c.set.udp {
		protocol = gortsplib.ProtocolUDP
	}
	client := &gortsplib.Client{
		Scheme: c.set.url.Scheme,
		Host:   c.set.url.Host,
		// Also bounds connecting and each request. Keep-alives (OPTIONS or GET_PARAMETER
		// within the camera's session timeout) and RTCP receiver reports are always sent
		// by gortsplib while playing.
		ReadTimeout: c.set.readTimeout,
		Protocol:    &protocol,
		OnTransportSwitch: func(err error) {
			c.log.Info("camera transport changed", "reason", err)
		},
		OnPacketsLost: damage.packetsLost,
		OnDecodeError: damage.decodeError,
	}
	if c.set.url.Scheme == "rtsps" {
		client.TLSConfig = tlsConfig(c.set.fingerprint)
	}
	return client
}

// play describes the stream, sets up its video and audio and starts playing.
func (s *session) play(client *gortsplib.Client) error {
	c := s.cam
	desc, _, err := client.Describe(c.set.url)
	if err != nil {
		return err
	}
	m, err := chooseMedia(desc)
	if err != nil {
		c.status.setMedia("", "", m.audioNote)
		return err
	}
	video, err := s.videoTrack(m)
	if err != nil {
		return err
	}
	audio := s.audioTrack(&m)
	c.status.setMedia(m.videoName(), m.audioName, m.audioNote)

	if err := s.setup(client, desc, m.video, m.videoForma, video.onPacket); err != nil {
		return err
	}
	if audio != nil {
		if err := s.setup(client, desc, m.audio, m.audioForma, audio.onPacket); err != nil {
			return err
		}
	}
	_, err = client.Play(nil)
	return err
}

// setup sets up one media and routes its packets, with gortsplib's PTS, to handle.
func (s *session) setup(client *gortsplib.Client, desc *description.Session, medi *description.Media,
	forma format.Format, handle func(*rtp.Packet, int64, bool),
) error {
	if _, err := client.Setup(desc.BaseURL, medi, 0, 0); err != nil {
		return err
	}
	client.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		pts, ok := client.PacketPTS(medi, pkt)
		handle(pkt, pts, ok)
	})
	return nil
}

func (s *session) videoTrack(m mediaChoice) (*videoTrack, error) {
	c := s.cam
	dec, shaper, err := newVideoDecoder(m)
	if err != nil {
		return nil, err
	}
	sink, err := c.pub.Video(m.videoName())
	if err != nil {
		c.log.Error("publisher refused the video", "codec", m.videoName(), "error", err)
		return nil, &sessionError{state: StateReconnecting, reason: reasonPublish}
	}
	logSPS(c.log, m.codec, shaper.params.sps)
	v := newVideoTrack(m.codec, dec, shaper, c.videoTL, sink, c.log, s)
	v.onDecodeError = s.damage.decodeError
	if c.refusedBFrames {
		// The last session found B-frames: do not flash "live" on the tile for the few
		// frames it takes to find them again.
		v.liveAfter = bFramesProof
	}
	return v, nil
}

func newVideoDecoder(m mediaChoice) (auDecoder, *auShaper, error) {
	switch f := m.videoForma.(type) {
	case *format.H265:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, nil, failure("H265 stream options not supported")
		}
		return dec, newAUShaper(codecH265, f.VPS, f.SPS, f.PPS), nil
	case *format.H264:
		dec, err := f.CreateDecoder()
		if err != nil {
			return nil, nil, failure("H264 packetization mode not supported")
		}
		return dec, newAUShaper(codecH264, nil, f.SPS, f.PPS), nil
	}
	return nil, nil, failure(reasonNoVideo)
}

// audioTrack returns the session's audio track, or nil (with m updated) if there is none or
// the publisher does not take it.
func (s *session) audioTrack(m *mediaChoice) *audioTrack {
	if m.audio == nil {
		return nil
	}
	c := s.cam
	sink, err := c.pub.Audio(m.audioName, m.clockRate, m.channels)
	if err != nil {
		c.log.Error("publisher refused the audio", "codec", m.audioName, "error", err)
		m.audio, m.audioName, m.audioNote = nil, "", "audio not available"
		return nil
	}
	return newAudioTrack(c.audioTimeline(m.clockRate), sink, m.clockRate)
}

// isDecoderNoise tells the decoder errors that are expected on a healthy stream: joining in
// the middle of a fragmented NAL unit.
func isDecoderNoise(err error) bool {
	return errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) ||
		errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious)
}
