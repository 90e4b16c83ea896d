package sfu

// A viewer's NACK for a packet sent just before a camera's keyframe comes
// back a round trip later, when the keyframe has already started the cache
// anew. So that such packets can still be sent again, the newest frames of
// the previous GOP are kept, copied, up to tailBytes: as many bytes as the
// packets a viewer's history remembers.

// tailBytes bounds the frames kept from the previous GOP.
const tailBytes = historySize * maxPayload

// gopTail is the end of the previous GOP: frames first and on of
// generation gen, in buffers reused from GOP to GOP.
type gopTail struct {
	valid  bool
	gen    uint32
	first  int32
	arena  []byte
	spans  [][2]int32
	frames []cachedFrame
}

// keep copies the newest frames of c, up to tailBytes, before a keyframe
// replaces them.
func (t *gopTail) keep(c *gopCache) {
	t.valid = false
	if !c.valid {
		return
	}
	// The frames lie back to back in the arena: the tail is its end.
	first := len(c.frames)
	for first > 0 && len(c.arena)-c.frameStart(first-1) <= tailBytes {
		first--
	}
	if first == len(c.frames) {
		return // no frame, or the newest alone is larger than the tail
	}
	base, spanBase := c.frameStart(first), c.frames[first].firstSpan
	t.arena = append(t.arena[:0], c.arena[base:]...)
	t.spans = t.spans[:0]
	for _, s := range c.spans[spanBase:] {
		t.spans = append(t.spans, [2]int32{s[0] - int32(base), s[1] - int32(base)})
	}
	t.frames = t.frames[:0]
	for _, f := range c.frames[first:] {
		f.firstSpan -= spanBase
		t.frames = append(t.frames, f)
	}
	t.valid, t.gen, t.first = true, c.gen, int32(first)
}

// frameStart is where frame i begins in the arena.
func (c *gopCache) frameStart(i int) int {
	if s := c.frames[i].firstSpan; s < len(c.spans) {
		return int(c.spans[s][0])
	}
	return len(c.arena) // a frame without NAL units, the last
}

// sent returns frame i of generation gen as NAL units, reusing dst's
// storage, if the cache or the tail of the previous GOP still holds it.
func (c *gopCache) sent(gen uint32, i int32, dst [][]byte) ([][]byte, bool) {
	switch {
	case i < 0:
		return dst, false
	case gen == c.gen && int(i) < c.len():
		return c.frame(int(i), dst), true
	case c.tail.valid && gen == c.tail.gen && i >= c.tail.first && int(i-c.tail.first) < len(c.tail.frames):
		f := c.tail.frames[i-c.tail.first]
		dst = dst[:0]
		for _, s := range c.tail.spans[f.firstSpan : f.firstSpan+f.spanCount] {
			dst = append(dst, c.tail.arena[s[0]:s[1]])
		}
		return dst, true
	}
	return dst, false
}
