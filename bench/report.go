package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// distribution summarises durations with nearest-rank percentiles; zero
// when there are none.
func distribution(ds []time.Duration) Distribution {
	if len(ds) == 0 {
		return Distribution{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Distribution{
		Min:    s[0],
		Median: nearestRank(s, 50),
		P95:    nearestRank(s, 95),
		Max:    s[len(s)-1],
	}
}

// nearestRank is the p-th percentile of sorted, non-empty s: the smallest
// value with at least p percent of the values at or below it.
func nearestRank(s []time.Duration, p int) time.Duration {
	rank := (p*len(s) + 99) / 100 // ceil(p/100 × n)
	return s[max(rank, 1)-1]
}

// summarise fills the distributions from the samples.
func (r *JoinResult) summarise() {
	packets := make([]time.Duration, len(r.Samples))
	keyframes := make([]time.Duration, len(r.Samples))
	live := make([]time.Duration, len(r.Samples))
	for i, s := range r.Samples {
		packets[i], keyframes[i], live[i] = s.FirstPacket, s.FirstKeyframe, s.Live
	}
	r.FirstPacket = distribution(packets)
	r.FirstKeyframe = distribution(keyframes)
	r.Live = distribution(live)
	r.Routes = map[string]int{}
	for _, s := range r.Samples {
		r.Routes[s.Route]++
	}
}

// codecs lists the codecs the samples saw, in order of appearance.
func (r JoinResult) codecs() string {
	var seen []string
	for _, s := range r.Samples {
		if !slices.Contains(seen, s.Codec) {
			seen = append(seen, s.Codec)
		}
	}
	if len(seen) == 0 {
		return "-"
	}
	return strings.Join(seen, ", ")
}

// ms is a duration in milliseconds rounded to one decimal.
func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(100*time.Microsecond)) / 10
}

// WriteTable writes the result as a table in milliseconds, then the
// failures with their reasons.
func (r JoinResult) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "viewers %d, failures %d, codec %s\n", len(r.Samples)+r.Failures, r.Failures, r.codecs())
	fmt.Fprintf(&b, "%-14s %5s %9s %9s %9s %9s\n", "ms", "n", "min", "median", "p95", "max")
	for _, row := range []struct {
		name string
		d    Distribution
	}{{"first packet", r.FirstPacket}, {"first keyframe", r.FirstKeyframe}, {"live edge", r.Live}} {
		fmt.Fprintf(&b, "%-14s %5d %9.1f %9.1f %9.1f %9.1f\n",
			row.name, len(r.Samples), ms(row.d.Min), ms(row.d.Median), ms(row.d.P95), ms(row.d.Max))
	}
	routes := slices.Sorted(maps.Keys(r.Routes))
	for _, route := range routes {
		fmt.Fprintf(&b, "route %s: %d\n", route, r.Routes[route])
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&b, "failed: %s\n", e)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type jsonDistribution struct {
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P95    float64 `json:"p95"`
	Max    float64 `json:"max"`
}

func toJSON(d Distribution) jsonDistribution {
	return jsonDistribution{Min: ms(d.Min), Median: ms(d.Median), P95: ms(d.P95), Max: ms(d.Max)}
}

// JSON is the result on one line, durations in milliseconds.
func (r JoinResult) JSON() ([]byte, error) {
	return json.Marshal(struct {
		N             int              `json:"n"`
		Failures      int              `json:"failures"`
		FirstPacket   jsonDistribution `json:"first_packet_ms"`
		FirstKeyframe jsonDistribution `json:"first_keyframe_ms"`
		Live          jsonDistribution `json:"live_edge_ms"`
		Routes        map[string]int   `json:"routes"`
	}{len(r.Samples), r.Failures, toJSON(r.FirstPacket), toJSON(r.FirstKeyframe), toJSON(r.Live), r.Routes})
}
