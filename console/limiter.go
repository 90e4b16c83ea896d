package console

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// limiter counts failed logins per key ("user:alice", "ip:192.0.2.7") in
// fixed windows: once a key has failed its limit within the window, logins
// for it are refused, without checking the password, until the window
// ends. It holds at most max keys.
type limiter struct {
	mu      sync.Mutex
	window  time.Duration
	max     int
	strikes map[string]strike
}

type strike struct {
	count int
	since time.Time // the first failure of the window
}

func newLimiter(window time.Duration, max int) *limiter {
	return &limiter{window: window, max: max, strikes: map[string]strike{}}
}

// wait says how long logins for key stay refused: 0 while it has failed
// fewer than limit times in its window.
func (l *limiter) wait(key string, limit int, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.strikes[key]
	if !ok {
		return 0
	}
	end := s.since.Add(l.window)
	if !now.Before(end) {
		delete(l.strikes, key)
		return 0
	}
	if s.count < limit {
		return 0
	}
	return end.Sub(now)
}

// fail counts one failure for key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.strikes[key]
	if ok && !now.Before(s.since.Add(l.window)) {
		ok = false
	}
	if !ok {
		l.makeRoom(now)
		s = strike{since: now}
	}
	s.count++
	l.strikes[key] = s
}

// reset forgets key's failures (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.strikes, key)
}

// makeRoom, when the map is full, drops the ended windows, then if need
// be the oldest one, which would have ended first anyway.
func (l *limiter) makeRoom(now time.Time) {
	if len(l.strikes) < l.max {
		return
	}
	var oldest string
	var oldestSince time.Time
	for k, s := range l.strikes {
		if !now.Before(s.since.Add(l.window)) {
			delete(l.strikes, k)
			continue
		}
		if oldest == "" || s.since.Before(oldestSince) {
			oldest, oldestSince = k, s.since
		}
	}
	if len(l.strikes) >= l.max && oldest != "" {
		delete(l.strikes, oldest)
	}
}

// clientKey is the limiter key of a request's address: the IPv4 address,
// or the /64 of an IPv6 one (one machine usually holds a whole /64).
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return "ip:" + host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + addr.String()
}
