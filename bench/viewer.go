package bench

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

const (
	// closeWait bounds how long a leaving viewer waits for the server to
	// close its WebSocket.
	closeWait = 5 * time.Second
	// maxPendingCandidates bounds server candidates held until the first
	// sub_offer is applied.
	maxPendingCandidates = 64
	// readBuffer holds one RTP packet; vigie's payloads are at most 1,200
	// bytes.
	readBuffer = 1500
)

// viewer is one measured join: a receive-only participant that waits for
// one camera's first complete keyframe.
type viewer struct {
	name   string
	link   link
	api    *webrtc.API
	tls    *tls.Config
	camera string // the camera measured; chosen from the first offer when empty
	relay  bool   // relay candidates only
	log    *slog.Logger

	sig    *signalConn
	in     chan serverMessage
	stop   chan struct{}
	wg     sync.WaitGroup
	pc     *webrtc.PeerConnection
	tracks chan arrival
	result chan readResult

	joined  bool
	reading bool
	offered map[string]trackInfo // mid → track of the latest sub_offer
	pending []webrtc.ICECandidateInit
	stage   string // how far the viewer got, for failure reasons
}

// arrival is a track's first packet, as pion reports it.
type arrival struct {
	track *webrtc.TrackRemote
	recv  *webrtc.RTPReceiver
	at    time.Time
}

type readResult struct {
	keyframeAt time.Time
	liveAt     time.Time // the first frame at the camera's own pace, after the cached ones
	codec      string
	packets    int
	err        error
}

func newViewer(name string, l link, api *webrtc.API, cfg JoinConfig) *viewer {
	return &viewer{
		name: name, link: l, api: api, tls: cfg.TLSConfig, camera: cfg.Camera, log: cfg.Log, relay: cfg.RelayOnly,
		stop:   make(chan struct{}),
		in:     make(chan serverMessage, 64),
		tracks: make(chan arrival, 8),
		result: make(chan readResult, 1),
		stage:  "connecting",
	}
}

// run joins, measures, then leaves; it returns once the server has closed
// the connection (or closeWait passed) and every goroutine has ended.
func (v *viewer) run(ctx context.Context, timeout time.Duration) (Sample, error) {
	defer v.close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := v.dial(ctx); err != nil {
		return Sample{}, err
	}
	start := time.Now()
	if err := v.sig.send(joinMsg{Type: "join", Token: v.link.token, Name: v.name}); err != nil {
		return Sample{}, fmt.Errorf("send join: %w", err)
	}
	v.stage = "waiting for joined"
	if err := v.awaitJoined(ctx); err != nil {
		return Sample{}, err
	}
	return v.measure(ctx, start, timeout)
}

func (v *viewer) dial(ctx context.Context) error {
	d := websocket.Dialer{TLSClientConfig: v.tls, Proxy: http.ProxyFromEnvironment}
	conn, _, err := d.DialContext(ctx, v.link.ws, nil)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", v.link.ws, err)
	}
	v.sig = &signalConn{conn: conn}
	v.wg.Go(func() { v.sig.readLoop(v.in, v.stop) })
	return nil
}

// awaitJoined waits for joined, then builds the subscribe connection with
// the ICE servers the server gave.
func (v *viewer) awaitJoined(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no joined message: %w", context.Cause(ctx))
		case m, ok := <-v.in:
			if !ok {
				return errors.New("server closed the connection before joined")
			}
			switch m.Type {
			case "error":
				return &refusedError{code: m.Code, message: m.Message}
			case "joined":
				v.joined = true
				v.stage = "waiting for a sub_offer"
				return v.newPeerConnection(m.ICEServers)
			}
		}
	}
}

func (v *viewer) newPeerConnection(servers []iceServer) error {
	conf := webrtc.Configuration{ICEServers: webrtcICEServers(servers)}
	if v.relay {
		conf.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	pc, err := v.api.NewPeerConnection(conf)
	if err != nil {
		return fmt.Errorf("create peer connection: %w", err)
	}
	v.pc = pc
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		msg := iceMsg{Type: "ice", PC: "sub"}
		if c != nil {
			init := c.ToJSON()
			msg.Candidate = &init
		}
		_ = v.sig.send(msg)
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		if tr.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		select {
		case v.tracks <- arrival{track: tr, recv: recv, at: time.Now()}:
		default:
		}
	})
	return nil
}

// measure answers offers and applies candidates until the camera's first
// complete keyframe, a failure, or the end of ctx.
func (v *viewer) measure(ctx context.Context, start time.Time, timeout time.Duration) (Sample, error) {
	var firstPacket time.Duration
	var recv *webrtc.RTPReceiver
	for {
		select {
		case <-ctx.Done():
			return Sample{}, v.timedOut(timeout)
		case m, ok := <-v.in:
			if !ok {
				return Sample{}, fmt.Errorf("server closed the connection while %s", v.stage)
			}
			if err := v.handle(m); err != nil {
				return Sample{}, err
			}
		case a := <-v.tracks:
			if v.reading || !v.isCamera(a) {
				continue
			}
			v.reading = true
			recv = a.recv
			v.stage = "reading the camera's video"
			firstPacket = a.at.Sub(start)
			deadline, _ := ctx.Deadline()
			v.wg.Go(func() { v.result <- readKeyframe(a.track, deadline) })
		case r := <-v.result:
			if r.err != nil {
				return Sample{}, r.err
			}
			v.log.Debug("keyframe", "viewer", v.name, "camera", v.camera, "packets", r.packets)
			return Sample{FirstPacket: firstPacket, FirstKeyframe: r.keyframeAt.Sub(start), Live: r.liveAt.Sub(start),
				Codec: r.codec, Route: route(v.pc, recv)}, nil
		}
	}
}

// timedOut says how far a viewer got when its time ran out.
func (v *viewer) timedOut(timeout time.Duration) error {
	if !v.reading {
		return fmt.Errorf("no keyframe within %s: still %s", timeout, v.stage)
	}
	_ = v.pc.GracefulClose() // ends the reader if its deadline has not
	r := <-v.result
	return fmt.Errorf("no complete keyframe within %s: %d packets of camera %s read", timeout, r.packets, v.camera)
}

func (v *viewer) handle(m serverMessage) error {
	switch m.Type {
	case "ice":
		if m.PC == "sub" {
			v.addCandidate(m.Candidate)
		}
	case "sub_offer":
		return v.answer(m)
	case "error":
		return fmt.Errorf("server error while %s: %s (%s)", v.stage, m.Code, m.Message)
	}
	return nil
}

func (v *viewer) addCandidate(raw json.RawMessage) {
	var c webrtc.ICECandidateInit
	if json.Unmarshal(raw, &c) != nil || c.Candidate == "" {
		return // end of candidates, or not one
	}
	if v.pc.RemoteDescription() == nil {
		if len(v.pending) < maxPendingCandidates {
			v.pending = append(v.pending, c)
		}
		return
	}
	if err := v.pc.AddICECandidate(c); err != nil {
		v.log.Debug("server candidate refused", "viewer", v.name, "err", err)
	}
}

func (v *viewer) answer(m serverMessage) error {
	v.offered = m.Tracks
	if v.camera == "" {
		v.camera = firstCamera(m.Tracks)
	}
	if err := v.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
		return fmt.Errorf("apply sub_offer: %w", err)
	}
	ans, err := v.pc.CreateAnswer(nil)
	if err != nil {
		return fmt.Errorf("answer sub_offer: %w", err)
	}
	if err := v.pc.SetLocalDescription(ans); err != nil {
		return fmt.Errorf("apply sub_answer: %w", err)
	}
	if err := v.sig.send(answerMsg{Type: "sub_answer", SDP: ans.SDP}); err != nil {
		return fmt.Errorf("send sub_answer: %w", err)
	}
	for _, c := range v.pending {
		if err := v.pc.AddICECandidate(c); err != nil {
			v.log.Debug("server candidate refused", "viewer", v.name, "err", err)
		}
	}
	v.pending = nil
	if v.camera == "" {
		v.stage = "waiting for a camera in a sub_offer"
	} else {
		v.stage = "waiting for the video of camera " + v.camera
	}
	return nil
}

// firstCamera is the camera of the first camera video transceiver offered,
// by mid order; "" when none.
func firstCamera(tracks map[string]trackInfo) string {
	var mids []string
	for mid, t := range tracks {
		if t.Camera != "" && t.Source == "camera" {
			mids = append(mids, mid)
		}
	}
	if len(mids) == 0 {
		return ""
	}
	slices.SortFunc(mids, compareMids)
	return tracks[mids[0]].Camera
}

// compareMids orders numeric mids as numbers, others as text after them.
func compareMids(a, b string) int {
	x, errA := strconv.Atoi(a)
	y, errB := strconv.Atoi(b)
	switch {
	case errA == nil && errB == nil:
		return x - y
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// isCamera tells whether a video track is the measured camera's: by the
// offer's track map, or else by its stream id camera-<id>.
func (v *viewer) isCamera(a arrival) bool {
	if v.camera == "" {
		return false
	}
	for _, t := range v.pc.GetTransceivers() {
		if t.Receiver() != a.recv {
			continue
		}
		if info, ok := v.offered[t.Mid()]; ok {
			return info.Camera == v.camera && info.Source == "camera"
		}
	}
	return a.track.StreamID() == "camera-"+v.camera
}

// readKeyframe reads a track until its first complete keyframe.
func readKeyframe(tr *webrtc.TrackRemote, deadline time.Time) readResult {
	codec, name, err := codecOf(tr.Codec().MimeType)
	if err != nil {
		return readResult{err: err}
	}
	pt := tr.PayloadType()
	if !deadline.IsZero() {
		_ = tr.SetReadDeadline(deadline)
	}
	d := keyframeDetector{codec: codec}
	buf := make([]byte, readBuffer)
	var p rtp.Packet
	for n := 0; ; {
		k, _, err := tr.Read(buf)
		if err != nil {
			return readResult{codec: name, packets: n,
				err: fmt.Errorf("no complete keyframe in %d packets: %w", n, err)}
		}
		if p.Unmarshal(buf[:k]) != nil || p.PayloadType != uint8(pt) {
			continue
		}
		n++
		if d.push(&p) {
			r := readResult{keyframeAt: time.Now(), codec: name, packets: n}
			r.liveAt, r.err = readUntilLive(tr, buf, p.Timestamp)
			return r
		}
	}
}

// catchUpTicks is the widest timestamp step between two frames of vigie's
// catch-up: cached frames are sent one tick apart, live ones a frame
// interval apart (3,600 ticks at 25 fps).
const catchUpTicks = 100

// readUntilLive reads on from the keyframe until the first frame whose
// timestamp steps like the camera's own pace: from then on the viewer
// receives frames as the camera sends them, at the live edge.
func readUntilLive(tr *webrtc.TrackRemote, buf []byte, last uint32) (time.Time, error) {
	var p rtp.Packet
	for {
		k, _, err := tr.Read(buf)
		if err != nil {
			return time.Time{}, fmt.Errorf("camera video stopped before the live edge: %w", err)
		}
		if p.Unmarshal(buf[:k]) != nil || p.Timestamp == last {
			continue
		}
		if step := int32(p.Timestamp - last); step > catchUpTicks {
			return time.Now(), nil
		}
		last = p.Timestamp
	}
}

// close leaves the room and releases everything: it sends leave, closes
// the peer connection, waits for the server to close the WebSocket, then
// for every goroutine of the viewer.
func (v *viewer) close() {
	left := v.sig != nil && v.joined && v.sig.send(leaveMsg{Type: "leave"}) == nil
	if v.pc != nil {
		if err := v.pc.GracefulClose(); err != nil {
			v.log.Debug("close peer connection", "viewer", v.name, "err", err)
		}
	}
	if left {
		v.awaitServerClose()
	}
	if v.sig != nil {
		_ = v.sig.conn.Close()
	}
	close(v.stop)
	v.wg.Wait()
}

// awaitServerClose drains the WebSocket until the server closes it.
func (v *viewer) awaitServerClose() {
	timer := time.NewTimer(closeWait)
	defer timer.Stop()
	for {
		select {
		case _, ok := <-v.in:
			if !ok {
				return
			}
		case <-timer.C:
			v.log.Warn("server did not close the connection after leave", "viewer", v.name, "waited", closeWait)
			return
		}
	}
}
