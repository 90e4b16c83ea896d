package bench

import (
	"math"
	"strings"
	"testing"
)

const samplePage = `# HELP vigie_sfu_forward_latency_seconds Camera packet arrival to written to a viewer.
# TYPE vigie_sfu_forward_latency_seconds histogram
vigie_sfu_forward_latency_seconds_bucket{le="0.001"} 50
vigie_sfu_forward_latency_seconds_bucket{le="0.005"} 90
vigie_sfu_forward_latency_seconds_bucket{le="0.01"} 100
vigie_sfu_forward_latency_seconds_bucket{le="+Inf"} 100
vigie_sfu_forward_latency_seconds_sum 0.2
vigie_sfu_forward_latency_seconds_count 100
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
go_goroutines 42
`

func TestParseMetrics(t *testing.T) {
	labelled := strings.ReplaceAll(samplePage, `{le=`, `{camera="a",le=`) +
		`vigie_sfu_forward_latency_seconds_bucket{camera="b",le="0.001"} 10
vigie_sfu_forward_latency_seconds_bucket{camera="b",le="0.005"} 10
vigie_sfu_forward_latency_seconds_bucket{camera="b",le="0.01"} 10
vigie_sfu_forward_latency_seconds_bucket{camera="b",le="+Inf"} 10
`
	tests := []struct {
		name    string
		page    string
		cpu     float64
		buckets []float64
	}{
		{"plain", samplePage, 12.5, []float64{50, 90, 100, 100}},
		{"labels summed", labelled, 12.5, []float64{60, 100, 110, 110}},
		{"absent", "go_goroutines 3\n", math.NaN(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parseMetrics(strings.NewReader(tt.page))
			if err != nil {
				t.Fatal(err)
			}
			if !(s.cpuSeconds == tt.cpu || math.IsNaN(s.cpuSeconds) && math.IsNaN(tt.cpu)) {
				t.Errorf("cpu %v, want %v", s.cpuSeconds, tt.cpu)
			}
			if len(s.latency.count) != len(tt.buckets) {
				t.Fatalf("buckets %v, want %v", s.latency.count, tt.buckets)
			}
			for i := range tt.buckets {
				if s.latency.count[i] != tt.buckets[i] {
					t.Errorf("buckets %v, want %v", s.latency.count, tt.buckets)
				}
			}
			if tt.buckets != nil && !math.IsInf(s.latency.le[len(s.latency.le)-1], 1) {
				t.Errorf("last bound %v, want +Inf", s.latency.le)
			}
		})
	}
}

func TestHistogramQuantile(t *testing.T) {
	inf := math.Inf(1)
	before := histogram{le: []float64{0.001, 0.005, 0.01, inf}, count: []float64{50, 90, 100, 100}}
	after := histogram{le: []float64{0.001, 0.005, 0.01, inf}, count: []float64{150, 190, 300, 310}}
	d := after.since(before)
	tests := []struct {
		name string
		h    histogram
		q    float64
		want float64
	}{
		{"median in the first bucket", before, 0.5, 0.001},
		{"p90 at a bound", before, 0.9, 0.005},
		{"p95 interpolated", before, 0.95, 0.0075},
		{"diff median interpolated", d, 0.5, 0.00525}, // cumulative 100, 100, 200, 210: rank 105
		{"diff p99 in +Inf: last finite bound", d, 0.99, 0.01},
		{"empty", histogram{}, 0.5, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.h.quantile(tt.q)
			if math.IsNaN(tt.want) {
				if !math.IsNaN(got) {
					t.Errorf("quantile %v, want NaN", got)
				}
				return
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if d.total() != 210 {
		t.Errorf("diff total %v, want 210", d.total())
	}
}

// TestKeyframeLatencySplit checks the keyframe histogram is read apart and
// taken out of the whole to give the other packets' latency.
func TestKeyframeLatencySplit(t *testing.T) {
	page := samplePage + `vigie_sfu_keyframe_forward_latency_seconds_bucket{le="0.001"} 0
vigie_sfu_keyframe_forward_latency_seconds_bucket{le="0.005"} 0
vigie_sfu_keyframe_forward_latency_seconds_bucket{le="0.01"} 10
vigie_sfu_keyframe_forward_latency_seconds_bucket{le="+Inf"} 10
`
	s, err := parseMetrics(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.keyLatency.count; len(got) != 4 || got[2] != 10 || s.latency.total() != 100 {
		t.Fatalf("keyframes %v, all %v", got, s.latency.count)
	}
	other := s.latency.without(s.keyLatency)
	if got := other.total(); got != 90 {
		t.Errorf("others total %v, want 90", got)
	}
	// Without the keyframes no packet took more than 5 ms: 50 under 1 ms, 40 in (1, 5].
	if got := other.quantile(0.99); got > 0.005 || got <= 0.001 {
		t.Errorf("others p99 %v, want within (0.001, 0.005]", got)
	}
	if got := s.keyLatency.quantile(0.99); got <= 0.005 || got > 0.01 {
		t.Errorf("keyframes p99 %v, want within (0.005, 0.01]", got)
	}
}
