package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// FanoutStep is one step's measurement. NaN means unknown: no PID or
// metrics to read it from, or nothing to measure.
type FanoutStep struct {
	Viewers   int           // asked for
	Connected int           // connected and receiving through the window
	Failed    int           // Viewers - Connected
	Window    time.Duration // measured for

	ServerCPU float64 // cores the server used (1 = one core busy)
	ToolCPU   float64 // cores this load tool used

	PacketsPerSec    float64 // RTP packets received, all viewers
	Mbps             float64 // RTP bytes received (headers included), all viewers, Mbit/s
	PacketsPerViewer float64
	MbpsPerViewer    float64

	LossMean, LossWorst float64 // share of video packets still missing after the recovery window, per viewer
	FramesComplete      float64 // share of video frames with every packet, frames that never came counted
	FPSPerViewer        float64 // complete frames a second, per connected viewer: the camera's rate when all is well
	HostUDPDrops        int64   // datagrams this host dropped on full socket buffers in the window (-1 unknown): the bench, or another program, fell behind

	LatencyP50, LatencyP99 float64 // server's forwarding latency over the window, seconds
	// LatencyP99Key and LatencyP99Other split LatencyP99 between keyframe
	// packets (tens to every viewer at once) and all others.
	LatencyP99Key, LatencyP99Other float64
	MemPerViewer                   float64 // server's resident memory growth per connected viewer, bytes
}

// FanoutResult is a whole ramp.
type FanoutResult struct {
	Steps  []FanoutStep
	Errors []string // why viewers failed, a few distinct reasons
}

// WriteTable writes one line per step, then the failure reasons.
func (r FanoutResult) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%7s %5s %4s %9s %9s %8s %7s %8s %7s %7s %8s %5s %7s %7s %7s %7s %8s %8s\n",
		"viewers", "conn", "fail", "srv-cores", "tool-core", "pkt/s", "Mbit/s", "Mbit/s/v",
		"loss%", "worst%", "frames%", "fps/v", "p50 ms", "p99 ms", "p99 key", "p99 oth", "KiB/view", "udp-drop")
	for _, s := range r.Steps {
		drops := "?"
		if s.HostUDPDrops >= 0 {
			drops = fmt.Sprint(s.HostUDPDrops)
		}
		fmt.Fprintf(&b, "%7d %5d %4d %9s %9s %8.0f %7.1f %8.3f %7s %7s %8s %5s %7s %7s %7s %7s %8s %8s\n",
			s.Viewers, s.Connected, s.Failed, num(s.ServerCPU, 2), num(s.ToolCPU, 2),
			s.PacketsPerSec, s.Mbps, s.MbpsPerViewer,
			num(100*s.LossMean, 3), num(100*s.LossWorst, 3), num(100*s.FramesComplete, 2), num(s.FPSPerViewer, 1),
			num(1000*s.LatencyP50, 2), num(1000*s.LatencyP99, 2), num(1000*s.LatencyP99Key, 2),
			num(1000*s.LatencyP99Other, 2), num(s.MemPerViewer/1024, 0), drops)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "failed: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// num formats a value with prec decimals, "?" when unknown.
func num(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// jsonNum is a rounded number, null when unknown.
func jsonNum(v float64, prec int) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	p := math.Pow(10, float64(prec))
	r := math.Round(v*p) / p
	return &r
}

type jsonFanoutStep struct {
	Viewers          int      `json:"viewers"`
	Connected        int      `json:"connected"`
	Failed           int      `json:"failed"`
	WindowS          float64  `json:"window_s"`
	ServerCores      *float64 `json:"server_cores"`
	ToolCores        *float64 `json:"tool_cores"`
	PacketsPerSec    *float64 `json:"packets_per_s"`
	Mbps             *float64 `json:"mbit_per_s"`
	PacketsPerViewer *float64 `json:"packets_per_s_per_viewer"`
	MbpsPerViewer    *float64 `json:"mbit_per_s_per_viewer"`
	LossMean         *float64 `json:"loss_mean"`
	LossWorst        *float64 `json:"loss_worst"`
	FramesComplete   *float64 `json:"frames_complete"`
	FPSPerViewer     *float64 `json:"fps_per_viewer"`
	HostUDPDrops     *int64   `json:"host_udp_drops"`
	LatencyP50       *float64 `json:"server_latency_p50_ms"`
	LatencyP99       *float64 `json:"server_latency_p99_ms"`
	LatencyP99Key    *float64 `json:"server_latency_p99_keyframes_ms"`
	LatencyP99Other  *float64 `json:"server_latency_p99_other_ms"`
	MemPerViewer     *float64 `json:"server_bytes_per_viewer"`
}

// JSON is the result on one line: ratios as fractions, latencies in
// milliseconds, null where unknown.
func (r FanoutResult) JSON() ([]byte, error) {
	steps := make([]jsonFanoutStep, len(r.Steps))
	for i, s := range r.Steps {
		steps[i] = jsonFanoutStep{
			Viewers: s.Viewers, Connected: s.Connected, Failed: s.Failed,
			WindowS:          math.Round(s.Window.Seconds()*100) / 100,
			ServerCores:      jsonNum(s.ServerCPU, 3),
			ToolCores:        jsonNum(s.ToolCPU, 3),
			PacketsPerSec:    jsonNum(s.PacketsPerSec, 1),
			Mbps:             jsonNum(s.Mbps, 3),
			PacketsPerViewer: jsonNum(s.PacketsPerViewer, 2),
			MbpsPerViewer:    jsonNum(s.MbpsPerViewer, 4),
			LossMean:         jsonNum(s.LossMean, 6),
			LossWorst:        jsonNum(s.LossWorst, 6),
			FramesComplete:   jsonNum(s.FramesComplete, 6),
			FPSPerViewer:     jsonNum(s.FPSPerViewer, 2),
			LatencyP50:       jsonNum(1000*s.LatencyP50, 3),
			LatencyP99:       jsonNum(1000*s.LatencyP99, 3),
			LatencyP99Key:    jsonNum(1000*s.LatencyP99Key, 3),
			LatencyP99Other:  jsonNum(1000*s.LatencyP99Other, 3),
			MemPerViewer:     jsonNum(s.MemPerViewer, 0),
		}
	}
	for i, s := range r.Steps {
		if s.HostUDPDrops >= 0 {
			steps[i].HostUDPDrops = &r.Steps[i].HostUDPDrops
		}
	}
	errs := r.Errors
	if errs == nil {
		errs = []string{}
	}
	return json.Marshal(struct {
		Steps  []jsonFanoutStep `json:"steps"`
		Errors []string         `json:"errors"`
	}{steps, errs})
}
