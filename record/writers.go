package record

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"
)

// fileTime is the UTC start time in a recording's name: 20261204T184501Z.
const fileTime = "20060102T150405Z"

// segmenter writes an incident's recording of one camera as a series of
// files, each starting on a keyframe, a new one every `every`.
type segmenter struct {
	dir   string
	every time.Duration
	log   *slog.Logger
	w     *fragmentedFile

	// A disk that refuses files (full, read-only) is retried at each
	// keyframe; it is said once, then once a minute, not at every try.
	failures int
	saidAt   time.Time // camera time of the last failure logged
	last     time.Time // arrival of the last unit handled
}

// failureReminder is how often a recording that keeps failing is logged.
const failureReminder = time.Minute

// failed logs a failed file once, then every failureReminder.
func (s *segmenter) failed(now time.Time, msg string, err error) {
	s.failures++
	if s.failures == 1 || now.Sub(s.saidAt) >= failureReminder {
		s.log.Error(msg, "err", err, "failures", s.failures)
		s.saidAt = now
	}
}

func (s *segmenter) handle(u *unit) bool {
	s.last = u.wall
	if s.w != nil && u.key && (s.w.span() >= ticksOf(s.every) || !s.w.sameFormat(u)) {
		s.closeFile()
	}
	if s.w == nil {
		if !u.key {
			return false
		}
		w, err := s.create(u)
		if err != nil {
			s.failed(u.wall, "recording not started, tried again at each keyframe", err)
			return false
		}
		s.w = w
		s.log.Info("recording", "file", w.path, "failures_before", s.failures)
		s.failures = 0
		return false
	}
	if err := s.w.write(u); err != nil {
		s.failed(u.wall, "recording stopped, a new file starts at the next keyframe", err)
		s.abandon()
	}
	return false
}

// create opens the next file, named after the time its first frame came;
// a name already taken (a restart within the same second) gets a suffix.
func (s *segmenter) create(u *unit) (*fragmentedFile, error) {
	name := u.wall.UTC().Format(fileTime)
	for i := 1; ; i++ {
		path := filepath.Join(s.dir, name+".mp4")
		if i > 1 {
			path = filepath.Join(s.dir, fmt.Sprintf("%s-%d.mp4", name, i))
		}
		w, err := createFragmented(path, u)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		return w, err
	}
}

func (s *segmenter) closeFile() {
	if err := s.w.close(); err != nil {
		s.log.Error("close recording", "err", err)
	}
	s.w = nil
}

// abandon drops a file that failed: what it holds stays readable.
func (s *segmenter) abandon() {
	_ = s.w.f.Close()
	s.w = nil
}

func (s *segmenter) idle() {
	if s.w == nil {
		return
	}
	if err := s.w.flushWaiting(); err != nil {
		s.failed(s.last, "recording stopped, a new file starts at the next keyframe", err)
		s.abandon()
	}
}

func (s *segmenter) finish() {
	if s.w != nil {
		s.closeFile()
	}
}

// clipper writes the pre-alarm clip: from the ring's keyframe before the
// alarm to the first unit at or past until.
type clipper struct {
	path  string
	until time.Time
	log   *slog.Logger
	done  func(path string)
	w     *fragmentedFile
	err   bool
}

func (c *clipper) handle(u *unit) bool {
	if c.err {
		return true
	}
	if c.w == nil {
		if !u.key {
			return false
		}
		w, err := createFragmented(c.path, u)
		if err != nil {
			c.log.Error("pre-alarm clip not written", "err", err)
			c.err = true
			return true
		}
		c.w = w
		return !u.wall.Before(c.until)
	}
	if err := c.w.write(u); err != nil {
		c.log.Error("pre-alarm clip not written", "err", err)
		c.w.abort()
		c.w, c.err = nil, true
		return true
	}
	return !u.wall.Before(c.until)
}

func (c *clipper) idle() {
	if c.w != nil && c.w.flushWaiting() != nil {
		c.w.abort()
		c.w, c.err = nil, true
	}
}

func (c *clipper) finish() {
	if c.w == nil {
		return
	}
	if err := c.w.close(); err != nil {
		c.log.Error("pre-alarm clip not written", "err", err)
		return
	}
	c.done(c.path)
}

// ticksOf converts a duration to 90 kHz ticks.
func ticksOf(d time.Duration) int64 {
	return int64(d/time.Second)*videoClock + int64(d%time.Second)*videoClock/int64(time.Second)
}
