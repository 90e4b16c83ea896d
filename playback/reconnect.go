package playback

import (
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
)

// keepUp waits on the session and, when the recorder drops it (a restart,
// a network cut), reconnects with backoff and plays on from the recorded
// time reached, into the same sink. It gives up after opts.GiveUp without
// a session and calls opts.OnLost.
func (p *Player) keepUp(c *gortsplib.Client) {
	defer close(p.done)
	for {
		err := p.wait(c)
		if p.ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		if p.client == c {
			p.client = nil
		}
		if p.halted.IsZero() {
			p.halted = time.Now()
		}
		at := p.at
		p.mu.Unlock()
		p.log.Warn("playback: the recorder dropped the session, reconnecting", "err", err, "recorded_at", at)
		if c, err = p.reconnect(); err != nil {
			if p.ctx.Err() != nil {
				return
			}
			p.log.Error("playback: giving up", "err", err)
			if p.opts.OnLost != nil {
				p.opts.OnLost(err)
			}
			return
		}
		p.log.Info("playback: the recorder is back", "recorded_at", at)
	}
}

// wait waits for session c to end. While the player is paused it sends
// OPTIONS every KeepAlive: the RTSP library sends keepalives only while
// playing, and a recorder drops a session left without requests (60 s for
// many), which would make a paused playback reconnect again and again.
func (p *Player) wait(c *gortsplib.Client) error {
	ended := make(chan error, 1)
	go func() { ended <- c.Wait() }()
	t := time.NewTicker(p.opts.KeepAlive)
	defer t.Stop()
	u, err := base.ParseURL(p.opts.Source.URL) // parsed once already by connect
	if err != nil {
		u = &base.URL{Scheme: c.Scheme, Host: c.Host, Path: "/"}
	}
	for {
		select {
		case err := <-ended:
			return err
		case <-t.C:
			if p.Paused() {
				// A recorder that does not answer ends the session: Wait says so.
				_, _ = c.Options(u)
			}
		}
	}
}

// reconnect tries a new session after each delay of the backoff until one
// plays or GiveUp has passed since the drop.
func (p *Player) reconnect() (*gortsplib.Client, error) {
	deadline := time.Now().Add(p.opts.GiveUp)
	var last error
	for i := 0; ; i++ {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, fmt.Errorf("playback: recorder unreachable for %s: %w", p.opts.GiveUp, last)
		}
		d := min(p.opts.Backoff[min(i, len(p.opts.Backoff)-1)], left) // the last try is at GiveUp
		t := time.NewTimer(d)
		select {
		case <-p.ctx.Done():
			t.Stop()
			return nil, p.ctx.Err()
		case <-t.C:
		}
		c, err := p.resumeSession()
		if err == nil {
			return c, nil
		}
		last = err
		p.log.Info("playback: recorder still unreachable", "err", err, "attempt", i+1)
	}
}

// resumeSession opens a session from the recorded time reached and plays
// it, unless the player is paused (Resume will).
func (p *Player) resumeSession() (*gortsplib.Client, error) {
	p.mu.Lock()
	at := p.at
	p.mu.Unlock()
	src := p.opts.Source
	if p.opts.SourceAt != nil {
		var err error
		if src, err = p.opts.SourceAt(at); err != nil {
			return nil, err
		}
	}
	c, release, err := p.connect(p.ctx, src)
	if err != nil {
		return nil, err
	}
	defer release() // Close ends p.ctx: it closes c until c is p.client
	p.playLock.Lock()
	defer p.playLock.Unlock()
	p.mu.Lock()
	if p.ctx.Err() != nil {
		p.mu.Unlock()
		c.Close()
		return nil, p.ctx.Err()
	}
	// The clock restarts at the first access unit of the new session,
	// which the recorder sends from at.
	p.client, p.base, p.basePTS, p.needKey = c, at, -1, true
	paused := p.paused
	p.mu.Unlock()
	if !paused {
		if err := p.play(c, at); err != nil {
			p.mu.Lock()
			p.client = nil
			p.mu.Unlock()
			c.Close()
			return nil, err
		}
	}
	return c, nil
}
