// Package sfu forwards media between participants of rooms: each participant
// publishes its tracks on one peer connection and receives everybody else's
// on a second one. It knows nothing of alarms, e-mail or HTTP; signaling
// reaches it through Peer methods and the PeerEvents it is given.
package sfu

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// ErrClosed is returned by Join once the SFU is shutting down.
var ErrClosed = errors.New("sfu: closed")

// Config holds the SFU's settings; zero values take the defaults.
type Config struct {
	Log *slog.Logger
	// ICEServers are given to both sides' peer connections.
	ICEServers []webrtc.ICEServer
	// ICEDisconnectedTimeout and ICEFailedTimeout bound how long a silent
	// peer keeps its place (defaults 4 s and 10 s).
	ICEDisconnectedTimeout time.Duration
	ICEFailedTimeout       time.Duration
	// KeyframeRequestInterval throttles the PLIs sent to a publisher
	// (default 500 ms), whatever the number of subscribers asking.
	KeyframeRequestInterval time.Duration
	// IncludeLoopback offers loopback candidates too (single-host set-ups, tests).
	IncludeLoopback bool
	// NetworkTypes restricts ICE (default: UDP and TCP, IPv4 and IPv6).
	NetworkTypes []webrtc.NetworkType
	// FanoutWorkers write camera packets to viewers in parallel (default:
	// one per core).
	FanoutWorkers int
	// ConfigureTransport, when set, adds the transport settings of the
	// server (shared media ports, public addresses) to the pion API.
	ConfigureTransport func(*webrtc.SettingEngine) error
	// OnPublishedTrack, when set, is asked for a sink of every track a
	// participant publishes (recording); nil records nothing (tap.go).
	OnPublishedTrack func(PublishedTrack) RTPSink
}

func (c *Config) setDefaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.ICEDisconnectedTimeout == 0 {
		c.ICEDisconnectedTimeout = 4 * time.Second
	}
	if c.ICEFailedTimeout == 0 {
		c.ICEFailedTimeout = 10 * time.Second
	}
	if c.KeyframeRequestInterval == 0 {
		c.KeyframeRequestInterval = 500 * time.Millisecond
	}
}

// SFU owns the rooms and the pion API their peer connections share.
type SFU struct {
	cfg      Config
	api      *webrtc.API
	workers  *fanoutPool
	feedback feedbackCounters
	// feedSSRCs are camera tracks' SSRCs, retransmitted by their feeds.
	feedSSRCs feedSSRCs

	mu     sync.Mutex
	rooms  map[string]*Room
	closed bool
}

// New builds an SFU.
func New(cfg Config) (*SFU, error) {
	cfg.setDefaults()
	s := &SFU{cfg: cfg, rooms: map[string]*Room{}}
	api, err := newAPI(cfg, &s.feedSSRCs)
	if err != nil {
		return nil, err
	}
	s.api = api
	s.workers = newFanoutPool(cfg.FanoutWorkers)
	return s, nil
}

// Join creates the peer of participant id in room roomID. A peer already
// there with the same id is closed first: the newest connection wins.
func (s *SFU) Join(roomID, id string, ev PeerEvents, opts PeerOptions) (*Peer, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	r := s.rooms[roomID]
	if r == nil {
		r = newRoom(roomID, s)
		s.rooms[roomID] = r
	}
	r.reserve()
	s.mu.Unlock()
	defer s.release(r)

	if old := r.peer(id); old != nil {
		old.Close()
	}
	p, err := newPeer(id, r, ev, opts)
	if err != nil {
		return nil, err
	}
	r.add(p)
	return p, nil
}

// release drops a room once it has neither peers nor joins under way.
func (s *SFU) release(r *Room) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.unreserve() && s.rooms[r.id] == r {
		delete(s.rooms, r.id)
	}
}

// Counts reports the number of rooms and peers, for health and metrics.
func (s *SFU) Counts() (rooms, peers int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.rooms {
		peers += r.size()
	}
	return len(s.rooms), peers
}

// Close refuses new peers and closes every peer of every room.
func (s *SFU) Close() {
	s.mu.Lock()
	s.closed = true
	rooms := make([]*Room, 0, len(s.rooms))
	for _, r := range s.rooms {
		rooms = append(rooms, r)
	}
	s.mu.Unlock()
	for _, r := range rooms {
		for _, p := range r.peerList() {
			p.Close()
		}
	}
	s.workers.close()
}

// AttachFeed shows a camera feed in a room: every peer there now, and
// every peer that joins later, receives it. The room stays while the feed
// is attached.
func (s *SFU) AttachFeed(roomID string, f *Feed) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	r := s.rooms[roomID]
	if r == nil {
		r = newRoom(roomID, s)
		s.rooms[roomID] = r
	}
	r.reserve()
	s.mu.Unlock()
	r.publish(f)
	return nil
}

// DetachFeed withdraws a feed from a room's peers.
func (s *SFU) DetachFeed(roomID string, f *Feed) {
	s.mu.Lock()
	r := s.rooms[roomID]
	s.mu.Unlock()
	if r == nil || !r.has(f) {
		return
	}
	r.unpublish(f)
	s.release(r)
}
