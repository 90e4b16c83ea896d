package files

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"vigie/store"
)

// viewingQueue bounds the camera watch records waiting for the database.
const viewingQueue = 1024

// ViewingLog writes "started / stopped watching camera X" records to the
// access log, and to the incident's timeline in an incident room. Records
// come from media callbacks that must not wait, so they go through a
// bounded queue to one writer; when the queue is full the record is
// dropped and an error logged (the database is then failing anyway).
type ViewingLog struct {
	db    DB
	log   *slog.Logger
	now   func() time.Time
	queue chan store.Access
	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// NewViewingLog starts the writer; Close stops it after writing what is
// queued.
func NewViewingLog(db DB, log *slog.Logger) *ViewingLog {
	v := &ViewingLog{db: db, log: log, now: time.Now, queue: make(chan store.Access, viewingQueue), stop: make(chan struct{})}
	v.wg.Add(1)
	go v.run()
	return v
}

// CameraWatch queues a record; it never blocks.
func (v *ViewingLog) CameraWatch(room, participant, name, camera string, started bool) {
	kind := "camera_watch_stopped"
	if started {
		kind = "camera_watch_started"
	}
	a := store.Access{Room: room, At: v.now(), Kind: kind, ActorID: participant, ActorName: name, Subject: camera,
		Detail: map[string]string{"camera": camera}}
	select {
	case <-v.stop:
		v.log.Error("camera watch not recorded: shutting down", "room", room, "participant", participant, "camera", camera, "kind", kind)
		return
	default:
	}
	select {
	case v.queue <- a:
	default:
		v.log.Error("camera watch not recorded: queue full", "room", room, "participant", participant, "camera", camera, "kind", kind)
	}
}

// Close writes what is queued and stops the writer.
func (v *ViewingLog) Close() {
	v.once.Do(func() { close(v.stop) })
	v.wg.Wait()
}

func (v *ViewingLog) run() {
	defer v.wg.Done()
	for {
		select {
		case a := <-v.queue:
			v.write(a)
		case <-v.stop:
			for {
				select {
				case a := <-v.queue:
					v.write(a)
				default:
					return
				}
			}
		}
	}
}

func (v *ViewingLog) write(a store.Access) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := v.db.RecordAccess(ctx, a); err != nil {
		v.log.Error("record camera watch", "room", a.Room, "participant", a.ActorID, "camera", a.Subject, "err", err)
	}
}
