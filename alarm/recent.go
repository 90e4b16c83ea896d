package alarm

import (
	"sync"
	"time"
)

// recentKeys remembers the DedupeKeys of events the sink accepted lately, so
// that a panel's retransmission is acknowledged without calling the sink
// again. Fixed capacity, oldest first out; entries expire after ttl.
type recentKeys struct {
	ttl  time.Duration
	mu   sync.Mutex
	at   map[string]time.Time
	ring []string // insertion order
	next int
}

func newRecentKeys(capacity int, ttl time.Duration) *recentKeys {
	return &recentKeys{ttl: ttl, at: make(map[string]time.Time, capacity), ring: make([]string, capacity)}
}

// seen reports whether key was added less than ttl before now.
func (c *recentKeys) seen(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.at[key]
	return ok && now.Sub(t) < c.ttl
}

// add remembers key at now, forgetting the oldest key when full.
func (c *recentKeys) add(key string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.at[key]; ok {
		c.at[key] = now
		return
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.at, old)
	}
	c.ring[c.next] = key
	c.at[key] = now
	c.next = (c.next + 1) % len(c.ring)
}
