package signaling

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Limits bound what clients can take of the server (config limits:).
// Zero fields take the defaults; there is no "unlimited".
type Limits struct {
	MaxRooms                  int // rooms with people or WHIP publishers at once
	MaxParticipantsPerRoom    int // people and WHIP publishers in one room
	MessagesPerSecond         int // WebSocket messages per session, sustained
	MessageBurst              int // WebSocket messages per session, at once
	ConnectionsPerIPPerMinute int // WebSocket connections and WHEP/WHIP POSTs per address
	MaxWHEPSessions           int // WHEP viewers and WHIP publishers together
}

func (l *Limits) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxRooms, 200)
	def(&l.MaxParticipantsPerRoom, 100)
	def(&l.MessagesPerSecond, 50)
	def(&l.MessageBurst, 100)
	def(&l.ConnectionsPerIPPerMinute, 120)
	def(&l.MaxWHEPSessions, 500)
}

// Error codes of the limits (docs/protocol.md).
const (
	CodeRoomFull           = "room_full"
	CodeServerFull         = "server_full"
	CodeTooManyMessages    = "too_many_messages"
	CodeTooManyConnections = "too_many_connections"
)

// bucket is a token bucket: rate tokens per second up to burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// take spends one token if there is one; otherwise it returns how long
// until there is.
func (b *bucket) take(now time.Time, rate, burst float64) (ok bool, wait time.Duration) {
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / rate * float64(time.Second))
}

// full reports whether the bucket has refilled: its entry can be dropped.
func (b *bucket) full(now time.Time, rate, burst float64) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= burst
}

// maxTrackedAddrs bounds the per-address table; past it, idle entries are
// swept, and a new address is refused while the table stays full.
const maxTrackedAddrs = 50000

// connLimiter counts new connections per client address.
type connLimiter struct {
	perMinute int
	now       func() time.Time

	mu    sync.Mutex
	addrs map[string]*bucket
}

func newConnLimiter(perMinute int, now func() time.Time) *connLimiter {
	return &connLimiter{perMinute: perMinute, now: now, addrs: map[string]*bucket{}}
}

// allow counts one new connection from addr; when refused it says when
// to try again.
func (l *connLimiter) allow(addr string) (bool, time.Duration) {
	rate, burst := float64(l.perMinute)/60, float64(l.perMinute)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.addrs[addr]
	if b == nil {
		if len(l.addrs) >= maxTrackedAddrs {
			l.sweepLocked(now, rate, burst)
		}
		if len(l.addrs) >= maxTrackedAddrs {
			return false, time.Minute
		}
		b = &bucket{}
		l.addrs[addr] = b
	}
	return b.take(now, rate, burst)
}

func (l *connLimiter) sweepLocked(now time.Time, rate, burst float64) {
	for a, b := range l.addrs {
		if b.full(now, rate, burst) {
			delete(l.addrs, a)
		}
	}
}

// clientAddr is the address a limit counts: the peer's IP, never a header
// a client could forge.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// allowConnection applies the per-address limit to a new connection.
func (s *Server) allowConnection(r *http.Request) (bool, time.Duration) {
	return s.conns.allow(clientAddr(r))
}

// tooManyConnections is the refusal of a new connection over the limit.
func (s *Server) tooManyConnections(wait time.Duration) *Error {
	return &Error{http.StatusTooManyRequests, CodeTooManyConnections,
		fmt.Sprintf("too many new connections from your address (%d a minute at most); try again in %d s", s.Limits.ConnectionsPerIPPerMinute, retrySeconds(wait))}
}

func retrySeconds(wait time.Duration) int {
	return max(1, int(math.Ceil(wait.Seconds())))
}

// setRetryAfter says when to try again, in whole seconds.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(wait)))
}

// admitLocked checks the room limits for participant id entering room
// roomID; an identity already there (a replacement) always may. Called
// with s.mu held.
func (s *Server) admitLocked(roomID, id string) *Error {
	h := s.hubs[roomID]
	publishers := s.whep.publishersIn(roomID)
	if h == nil && publishers == 0 && s.activeRoomsLocked() >= s.Limits.MaxRooms {
		return &Error{http.StatusServiceUnavailable, CodeServerFull,
			fmt.Sprintf("the server already runs %d rooms, its limit; ask the operator", s.Limits.MaxRooms)}
	}
	n := publishers
	if h != nil {
		n += h.sizeWithout(id)
	}
	if n >= s.Limits.MaxParticipantsPerRoom {
		return &Error{http.StatusServiceUnavailable, CodeRoomFull,
			fmt.Sprintf("this room is full (%d people); ask the operator", s.Limits.MaxParticipantsPerRoom)}
	}
	return nil
}

// activeRoomsLocked counts rooms with people or WHIP publishers.
func (s *Server) activeRoomsLocked() int {
	n := len(s.hubs)
	for _, id := range s.whep.publisherRooms() {
		if s.hubs[id] == nil {
			n++
		}
	}
	return n
}

// messageLimiter is one session's WebSocket message budget.
type messageLimiter struct {
	b           bucket
	rate, burst float64
}

func (s *Server) newMessageLimiter() *messageLimiter {
	return &messageLimiter{rate: float64(s.Limits.MessagesPerSecond), burst: float64(s.Limits.MessageBurst)}
}

func (m *messageLimiter) allow(now time.Time) bool {
	ok, _ := m.b.take(now, m.rate, m.burst)
	return ok
}

// tooManyMessages ends a session that floods the server.
func (s *Server) tooManyMessages() *Error {
	return &Error{Code: CodeTooManyMessages, Message: fmt.Sprintf(
		"more than %d messages a second from this page; the connection is closed", s.Limits.MessagesPerSecond)}
}

// sizeWithout counts the members of the hub other than id.
func (h *hub) sizeWithout(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.members)
	if h.members[id] != nil {
		n--
	}
	return n
}

// refuse tells the page why its session ends, then ends it.
func (c *session) refuse(e *Error) {
	c.sendError(e)
	c.stop("refused: " + e.Code)
}

// enterRoom checks the room limits and enters the room's presence hub
// under one lock, so two joins cannot both take the last place.
func (s *Server) enterRoom(c *session, roomID, roomName string) (*hub, *session, []Participant, *Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	self := c.participant()
	if e := s.admitLocked(roomID, self.ID); e != nil {
		return nil, nil, nil, e
	}
	h := s.hubs[roomID]
	if h == nil {
		h = &hub{id: roomID, name: roomName, members: map[string]*session{}}
		s.hubs[roomID] = h
	}
	replaced, others := h.enter(c)
	return h, replaced, others, nil
}
