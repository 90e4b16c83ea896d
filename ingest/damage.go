package ingest

import (
	"log/slog"
	"sync"
	"time"
)

// damageEvery is the shortest time between two reports of lost packets or damaged data.
const damageEvery = 10 * time.Second

// damageLog sums lost packets and undecodable data of one session and logs the totals at
// most every damageEvery, so that a lossy network does not flood the log. gortsplib may call
// it from several goroutines (one per media with UDP).
type damageLog struct {
	mu      sync.Mutex
	log     *slog.Logger
	now     func() time.Time
	lost    uint64
	errs    uint64
	lastErr error
	next    time.Time
}

func newDamageLog(log *slog.Logger, now func() time.Time) *damageLog {
	return &damageLog{log: log, now: now}
}

func (d *damageLog) packetsLost(n uint64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.lost += n
	d.report(false)
}

func (d *damageLog) decodeError(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errs++
	d.lastErr = err
	d.report(false)
}

// flush logs what was not reported yet.
func (d *damageLog) flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.report(true)
}

func (d *damageLog) report(force bool) {
	if d.lost == 0 && d.errs == 0 {
		return
	}
	now := d.now()
	if !force && now.Before(d.next) {
		return
	}
	d.log.Warn("camera stream damaged", "packets_lost", d.lost, "decode_errors", d.errs, "last_error", d.lastErr)
	d.lost, d.errs, d.lastErr = 0, 0, nil
	d.next = now.Add(damageEvery)
}
