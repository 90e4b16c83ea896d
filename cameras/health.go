package cameras

import (
	"sort"

	"vigie/ingest"
)

// StateIdle is a camera's state while no room shows it and it is not
// preloaded: vigie is not connected to it, on purpose.
const StateIdle = "idle"

// Health is a camera's state and history, for metrics.
type Health struct {
	ID         string
	State      string // "idle", or its main stream's: connecting, live, reconnecting, failed
	Reconnects uint64 // times its live main stream was lost and vigie began reconnecting
}

// Health lists every camera's health, by id.
func (r *Registry) Health() []Health {
	cams := r.all()
	list := make([]Health, 0, len(cams))
	for _, cam := range cams {
		list = append(list, cam.health())
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID < list[j].ID })
	return list
}

func (c *camera) health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := Health{ID: c.cfg.ID, State: c.status.State, Reconnects: c.reconnects}
	if !c.running {
		h.State = StateIdle
	}
	return h
}

// lost reports whether going from state from to state to loses a live
// stream.
func lost(from string, to ingest.State) bool {
	return from == string(ingest.StateLive) && (to == ingest.StateReconnecting || to == ingest.StateFailed)
}
