package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"vigie/cameras"
)

// cameraStates are the values of vigie_camera_state's state label: idle
// (not connected on purpose), then the ingest's states. A state not in
// this list is reported too, as 1.
func cameraStates() []string {
	return []string{cameras.StateIdle, "connecting", "live", "reconnecting", "failed"}
}

// cameraCollector reads the cameras' health at each scrape.
type cameraCollector struct {
	src        Cameras
	state      *prometheus.Desc
	reconnects *prometheus.Desc
}

func newCameraCollector(src Cameras) *cameraCollector {
	return &cameraCollector{
		src: src,
		state: prometheus.NewDesc("vigie_camera_state",
			"1 for the camera's current state, 0 for the others: idle, connecting, live, reconnecting, failed.",
			[]string{"camera", "state"}, nil),
		reconnects: prometheus.NewDesc("vigie_camera_reconnects_total",
			"Times the camera's live stream was lost and vigie began reconnecting.",
			[]string{"camera"}, nil),
	}
}

func (c *cameraCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.state
	ch <- c.reconnects
}

func (c *cameraCollector) Collect(ch chan<- prometheus.Metric) {
	states := cameraStates()
	for _, h := range c.src.Health() {
		for _, s := range states {
			v := 0.0
			if s == h.State {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, v, h.ID, s)
		}
		if !slices.Contains(states, h.State) {
			ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, 1, h.ID, h.State)
		}
		ch <- prometheus.MustNewConstMetric(c.reconnects, prometheus.CounterValue, float64(h.Reconnects), h.ID)
	}
}
