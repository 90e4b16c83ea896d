package sfu

import "sync"

// Room is the media side of one room: who is in it and which tracks are
// published. Lock order: Room.mu, then Peer.mu, then UpTrack.mu.
type Room struct {
	id  string
	sfu *SFU

	mu     sync.Mutex
	peers  map[string]*Peer
	tracks []published
	// holds counts peers plus joins under way; the room is dropped at zero.
	holds int
}

func newRoom(id string, s *SFU) *Room {
	return &Room{id: id, sfu: s, peers: map[string]*Peer{}}
}

// reserve and unreserve are called with SFU.mu held.
func (r *Room) reserve() {
	r.mu.Lock()
	r.holds++
	r.mu.Unlock()
}

func (r *Room) unreserve() (empty bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.holds--
	return r.holds == 0
}

func (r *Room) peer(id string) *Peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peers[id]
}

func (r *Room) peerList() []*Peer {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := make([]*Peer, 0, len(r.peers))
	for _, p := range r.peers {
		list = append(list, p)
	}
	return list
}

func (r *Room) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.peers)
}

// add places p in the room and subscribes it to every published track.
func (r *Room) add(p *Peer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.peers[p.id] = p
	r.holds++
	for _, t := range r.tracks {
		p.subscribe(t)
	}
}

// remove takes p out of the room; the caller then closes p's connections.
func (r *Room) remove(p *Peer) {
	r.mu.Lock()
	if r.peers[p.id] != p {
		r.mu.Unlock()
		return
	}
	delete(r.peers, p.id)
	r.mu.Unlock()
	r.sfu.release(r)
}

// publish offers t to every other peer of the room.
func (r *Room) publish(t published) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tracks = append(r.tracks, t)
	for _, p := range r.peers {
		if p != t.publisher() {
			p.subscribe(t)
		}
	}
}

// unpublish withdraws t from every subscriber.
func (r *Room) unpublish(t published) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.tracks {
		if x == t {
			r.tracks = append(r.tracks[:i], r.tracks[i+1:]...)
			break
		}
	}
	for _, p := range r.peers {
		p.unsubscribe(t)
	}
}

func (r *Room) has(t published) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.tracks {
		if x == t {
			return true
		}
	}
	return false
}
