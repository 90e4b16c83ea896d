package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metrics the fan-out bench reads from vigie's /metrics.
const (
	metricForwardLatency = "vigie_sfu_forward_latency_seconds"
	metricKeyLatency     = "vigie_sfu_keyframe_forward_latency_seconds"
	metricProcessCPU     = "process_cpu_seconds_total"
)

// scrape is what the bench keeps of one /metrics page.
type scrape struct {
	latency    histogram // forward latency, summed over its labels; nil buckets when absent
	keyLatency histogram // the same for keyframe packets only
	cpuSeconds float64   // process CPU; NaN when absent
}

// histogram is a Prometheus histogram's cumulative buckets, sorted by
// upper bound, the last one +Inf.
type histogram struct {
	le    []float64
	count []float64
}

// scrapeMetrics fetches and reads a Prometheus text page.
func scrapeMetrics(ctx context.Context, client *http.Client, url string) (scrape, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return scrape{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return scrape{}, fmt.Errorf("scrape %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scrape{}, fmt.Errorf("scrape %s: %s", url, resp.Status)
	}
	return parseMetrics(io.LimitReader(resp.Body, 16<<20))
}

// parseMetrics reads the metrics the bench needs from the Prometheus
// text format; other lines are skipped. Buckets of the same bound under
// different labels (several cameras) are added up.
func parseMetrics(r io.Reader) (scrape, error) {
	s := scrape{cpuSeconds: math.NaN()}
	buckets := map[string]map[float64]float64{metricForwardLatency: {}, metricKeyLatency: {}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := splitSample(line)
		if !ok {
			continue
		}
		switch name {
		case metricProcessCPU:
			s.cpuSeconds = value
		case metricForwardLatency + "_bucket", metricKeyLatency + "_bucket":
			le, ok := labelValue(labels, "le")
			if !ok {
				continue
			}
			bound, err := strconv.ParseFloat(le, 64)
			if err != nil {
				return s, fmt.Errorf("metrics: %s le=%q: %w", name, le, err)
			}
			buckets[strings.TrimSuffix(name, "_bucket")][bound] += value
		}
	}
	if err := sc.Err(); err != nil {
		return s, fmt.Errorf("metrics: %w", err)
	}
	s.latency = sortedHistogram(buckets[metricForwardLatency])
	s.keyLatency = sortedHistogram(buckets[metricKeyLatency])
	return s, nil
}

func sortedHistogram(buckets map[float64]float64) histogram {
	var h histogram
	for _, le := range slices.Sorted(mapKeys(buckets)) {
		h.le = append(h.le, le)
		h.count = append(h.count, buckets[le])
	}
	return h
}

func mapKeys(m map[float64]float64) func(func(float64) bool) {
	return func(yield func(float64) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// splitSample cuts `name{labels} value [timestamp]`.
func splitSample(line string) (name, labels string, value float64, ok bool) {
	rest := line
	if i := strings.IndexByte(line, '{'); i >= 0 {
		j := strings.LastIndexByte(line, '}')
		if j < i {
			return "", "", 0, false
		}
		name, labels, rest = line[:i], line[i+1:j], line[j+1:]
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return "", "", 0, false
		}
		name, rest = line[:i], line[i:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", "", 0, false
	}
	return name, labels, v, true
}

// labelValue finds key="value" in a label list (values without escaped
// quotes, as bucket bounds and camera ids are).
func labelValue(labels, key string) (string, bool) {
	for part := range strings.SplitSeq(labels, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == key {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// since is the histogram of the observations made between earlier and h.
// Bounds missing from either side are left out.
func (h histogram) since(earlier histogram) histogram {
	var out histogram
	for i, le := range h.le {
		prev := 0.0
		if j := slices.Index(earlier.le, le); j >= 0 {
			prev = earlier.count[j]
		}
		out.le = append(out.le, le)
		out.count = append(out.count, max(h.count[i]-prev, 0))
	}
	return out
}

// without is the histogram of h's observations that are not in part (a
// subset of them, with the same bounds).
func (h histogram) without(part histogram) histogram {
	return h.since(part)
}

// total is the number of observations.
func (h histogram) total() float64 {
	if len(h.count) == 0 {
		return 0
	}
	return h.count[len(h.count)-1]
}

// quantile estimates the q-quantile (0 < q < 1) as Prometheus's
// histogram_quantile does: linear within the bucket that holds it, the
// lowest bucket starting at 0, and the last finite bound when it falls in
// +Inf. NaN without observations.
func (h histogram) quantile(q float64) float64 {
	n := h.total()
	if n == 0 {
		return math.NaN()
	}
	rank := q * n
	for i, c := range h.count {
		if c < rank {
			continue
		}
		if math.IsInf(h.le[i], 1) {
			if i == 0 {
				return math.NaN()
			}
			return h.le[i-1]
		}
		lower, below := 0.0, 0.0
		if i > 0 {
			lower, below = h.le[i-1], h.count[i-1]
		}
		if c == below {
			return h.le[i]
		}
		return lower + (h.le[i]-lower)*(rank-below)/(c-below)
	}
	return h.le[len(h.le)-1]
}
