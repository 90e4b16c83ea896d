package sfu

// gopCache keeps a camera's access units from the last keyframe on, so a
// new viewer can start decoding at once instead of waiting for the camera's
// next keyframe (cameras cannot honour keyframe requests). It is bounded in
// bytes and in time: past either bound it is invalid until the next
// keyframe, and new viewers wait for that keyframe.
type gopCache struct {
	maxBytes int
	maxTicks int64

	arena  []byte     // NAL unit bytes of every cached frame, back to back
	spans  [][2]int32 // start and end of each NAL unit in arena
	frames []cachedFrame
	valid  bool
	// gen changes whenever the cached frames are dropped, so that a
	// retransmission never takes a frame of another GOP.
	gen uint32
	// tail is the end of the previous GOP, for retransmissions.
	tail gopTail
}

type cachedFrame struct {
	pts       int64
	firstSpan int
	spanCount int
}

// add stores one access unit; a keyframe starts the cache anew.
func (c *gopCache) add(pts int64, au [][]byte, keyframe bool) {
	if keyframe {
		c.tail.keep(c)
		c.arena, c.spans, c.frames = c.arena[:0], c.spans[:0], c.frames[:0]
		c.valid = true
		c.gen++
	}
	if !c.valid {
		return
	}
	size := 0
	for _, n := range au {
		size += len(n)
	}
	if len(c.arena)+size > c.maxBytes || pts-c.frames0PTS(pts) > c.maxTicks {
		c.valid = false
		c.gen++
		return
	}
	f := cachedFrame{pts: pts, firstSpan: len(c.spans), spanCount: len(au)}
	for _, n := range au {
		start := len(c.arena)
		c.arena = append(c.arena, n...)
		c.spans = append(c.spans, [2]int32{int32(start), int32(len(c.arena))})
	}
	c.frames = append(c.frames, f)
}

// frames0PTS is the keyframe's PTS, or pts itself for the first frame.
func (c *gopCache) frames0PTS(pts int64) int64 {
	if len(c.frames) == 0 {
		return pts
	}
	return c.frames[0].pts
}

// frame returns cached frame i as NAL units, reusing dst's storage.
func (c *gopCache) frame(i int, dst [][]byte) [][]byte {
	f := c.frames[i]
	dst = dst[:0]
	for _, s := range c.spans[f.firstSpan : f.firstSpan+f.spanCount] {
		dst = append(dst, c.arena[s[0]:s[1]])
	}
	return dst
}

func (c *gopCache) len() int {
	if !c.valid {
		return 0
	}
	return len(c.frames)
}

// last is the index of the newest cached frame, -1 when there is none.
func (c *gopCache) last() int32 { return int32(c.len()) - 1 }
