package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// session is one operator logged in from one browser.
type session struct {
	operator *operator
	created  time.Time
	lastSeen time.Time
}

// sessions are kept in memory, by the SHA-256 of their id so that the map
// never holds a usable cookie value. A restart logs every operator out.
type sessions struct {
	mu   sync.Mutex
	ttl  time.Duration // from login, whatever the activity
	idle time.Duration // since the last request
	max  int
	byID map[[sha256.Size]byte]*session
}

func newSessions(ttl, idle time.Duration, max int) *sessions {
	return &sessions{ttl: ttl, idle: idle, max: max, byID: map[[sha256.Size]byte]*session{}}
}

// create starts a session and returns its id: 32 random bytes, base64url.
// When the map is full the expired sessions go, then the least recently
// used one.
func (s *sessions) create(op *operator, now time.Time) string {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand never fails
	id := base64.RawURLEncoding.EncodeToString(raw[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byID) >= s.max {
		s.evict(now)
	}
	s.byID[sha256.Sum256([]byte(id))] = &session{operator: op, created: now, lastSeen: now}
	return id
}

// lookup returns the live session of id, or nil. An active request (not
// the page's automatic refresh) keeps the session from idling out.
func (s *sessions) lookup(id string, now time.Time, active bool) *session {
	if len(id) != 43 { // 32 bytes in unpadded base64url
		return nil
	}
	key := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byID[key]
	if !ok {
		return nil
	}
	if s.expired(sess, now) {
		delete(s.byID, key)
		return nil
	}
	if active {
		sess.lastSeen = now
	}
	return sess
}

// end forgets id's session.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, sha256.Sum256([]byte(id)))
}

func (s *sessions) expired(sess *session, now time.Time) bool {
	return !now.Before(sess.created.Add(s.ttl)) || !now.Before(sess.lastSeen.Add(s.idle))
}

// evict makes room for one session; the caller holds mu.
func (s *sessions) evict(now time.Time) {
	var lru [sha256.Size]byte
	var lruSeen time.Time
	found := false
	for k, sess := range s.byID {
		if s.expired(sess, now) {
			delete(s.byID, k)
			continue
		}
		if !found || sess.lastSeen.Before(lruSeen) {
			lru, lruSeen, found = k, sess.lastSeen, true
		}
	}
	if len(s.byID) >= s.max && found {
		delete(s.byID, lru)
	}
}

// count is the number of sessions held, expired or not.
func (s *sessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
