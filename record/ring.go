package record

import "time"

// ring keeps a preloaded camera's last seconds of video for the pre-alarm
// clip: whole GOPs, always starting on a keyframe, bounded in time and in
// bytes. When full it drops its oldest GOP.
type ring struct {
	keep     time.Duration // the oldest keyframe is kept this far behind the newest unit, not much more
	maxBytes int

	units []*unit
	keys  []int // indexes in units of the keyframes, ascending
	bytes int
}

func newRing(keep time.Duration, maxBytes int) *ring {
	return &ring{keep: keep, maxBytes: maxBytes}
}

// push adds a unit; before the first keyframe nothing is kept.
func (r *ring) push(u *unit) {
	if len(r.units) == 0 && !u.key {
		return
	}
	if u.key {
		r.keys = append(r.keys, len(r.units))
	}
	r.units = append(r.units, u)
	r.bytes += len(u.payload)
	// Drop the oldest GOP while the next one still starts early enough.
	for len(r.keys) > 1 && !r.units[r.keys[1]].wall.After(u.wall.Add(-r.keep)) {
		r.dropTo(r.keys[1])
	}
	for r.bytes > r.maxBytes {
		if len(r.keys) < 2 {
			r.reset() // one GOP larger than the cap: keep nothing until the next keyframe
			return
		}
		r.dropTo(r.keys[1])
	}
}

// dropTo drops the units before index i, a keyframe.
func (r *ring) dropTo(i int) {
	for _, u := range r.units[:i] {
		r.bytes -= len(u.payload)
	}
	clear(r.units[:i])
	r.units = r.units[i:]
	r.keys = r.keys[1:]
	for k := range r.keys {
		r.keys[k] -= i
	}
	if cap(r.units) > 4*len(r.units)+64 {
		r.units = append([]*unit(nil), r.units...) // let go of the dropped part's array
	}
}

func (r *ring) reset() {
	clear(r.units)
	r.units, r.keys, r.bytes = r.units[:0], r.keys[:0], 0
}

// since returns the units from the last keyframe at or before from (the
// oldest keyframe when none is that old), in order. The slice is a copy.
func (r *ring) since(from time.Time) []*unit {
	if len(r.keys) == 0 {
		return nil
	}
	start := r.keys[0]
	for _, k := range r.keys {
		if r.units[k].wall.After(from) {
			break
		}
		start = k
	}
	return append([]*unit(nil), r.units[start:]...)
}
