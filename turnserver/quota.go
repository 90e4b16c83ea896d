package turnserver

import (
	"net"
	"sync"
)

// DefaultMaxAllocations bounds the relays of one session: a browser asks
// one per TURN URL (three) for each of its two peer connections, again
// after an ICE restart.
const DefaultMaxAllocations = 12

// quota counts the live allocations of each session, so that one invited
// person cannot take every relay port of the server. A check and the
// allocation that follows are not atomic: concurrent requests of one
// session may exceed the bound by their number, at most.
type quota struct {
	max int

	mu    sync.Mutex
	count map[string]int // session → live allocations
}

func newQuota(max int) *quota { return &quota{max: max, count: map[string]int{}} }

// allow is the TURN server's QuotaHandler; pion gives it the user id the
// AuthHandler returned: the session.
func (q *quota) allow(session, _ string, _ net.Addr) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.count[session] < q.max
}

// created and deleted follow allocations; userID is the session, as the
// AuthHandler returns it.
func (q *quota) created(_, _ net.Addr, _, userID, _ string, _ net.Addr, _ int) {
	q.mu.Lock()
	q.count[userID]++
	q.mu.Unlock()
}

func (q *quota) deleted(_, _ net.Addr, _, userID, _ string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.count[userID] <= 1 {
		delete(q.count, userID)
		return
	}
	q.count[userID]--
}
