package ingest

import (
	"log/slog"
	"sync"
)

// State is where a camera stream stands.
type State string

// States of a camera stream.
const (
	StateConnecting   State = "connecting"
	StateLive         State = "live"
	StateReconnecting State = "reconnecting"
	StateFailed       State = "failed"
)

// Status is what a camera tile shows.
type Status struct {
	State     State
	Reason    string // plain words for failed/reconnecting: "wrong user name or password", "camera unreachable", "stream uses B-frames, which browsers cannot play", "no video in the stream", "codec MJPEG not supported", "connection lost"...
	Video     string // "H264" or "H265" once known
	Audio     string // "PCMU", "PCMA", "Opus", or "" when none/unsupported
	AudioNote string // e.g. "audio not supported (AAC)"; video still works
}

// Reasons shown on camera tiles. They are user-facing: short and plain.
const (
	reasonAuth          = "wrong user name or password"
	reasonNeedAuth      = "camera needs a user name and password"
	reasonAuthMethod    = "camera asks for a sign-in method vigie does not support"
	reasonForbidden     = "camera refused access to this stream"
	reasonNotFound      = "stream not found on the camera (check the path)"
	reasonUnreachable   = "camera unreachable"
	reasonNoAnswer      = "camera does not answer"
	reasonStopped       = "camera stopped sending"
	reasonLost          = "connection lost"
	reasonBFrames       = "stream uses B-frames, which browsers cannot play"
	reasonNoVideo       = "no video in the stream"
	reasonNeedTCP       = "camera stream needs the tcp transport"
	reasonTransport     = "camera refused the transport (try tcp)"
	reasonCertUntrusted = "camera certificate not trusted"
	reasonCertPin       = "camera certificate does not match the pinned fingerprint"
	reasonNoTLS         = "camera does not speak RTSPS on this port"
	reasonBadStream     = "camera sent a stream description vigie cannot read"
	reasonPublish       = "the bridge could not take the video"
)

// reporter hands status changes to the Publisher, each change once and in order: the
// Camera's goroutine and gortsplib's reading goroutine both report. The media fields are
// staged when a session learns them and go out with the next change of state.
type reporter struct {
	mu    sync.Mutex
	pub   Publisher
	log   *slog.Logger
	sent  bool
	last  Status
	media Status // only Video, Audio and AudioNote are used
}

// setMedia stages what the current session plays.
func (r *reporter) setMedia(video, audio, audioNote string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.media = Status{Video: video, Audio: audio, AudioNote: audioNote}
}

// setState reports the state with the staged media, unless that is what was reported last;
// it reports whether it did.
func (r *reporter) setState(state State, reason string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.media
	s.State, s.Reason = state, reason
	if r.sent && s == r.last {
		return false
	}
	r.sent, r.last = true, s
	r.log.Info("camera status", "state", string(s.State), "reason", s.Reason,
		"video", s.Video, "audio", s.Audio, "audio_note", s.AudioNote)
	r.pub.Status(s)
	return true
}
