package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDistributionNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 20; i >= 1; i-- { // unsorted on purpose
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := distribution(ds)
	want := Distribution{Min: 1 * time.Millisecond, Median: 10 * time.Millisecond, P95: 19 * time.Millisecond, Max: 20 * time.Millisecond}
	if got != want {
		t.Fatalf("20 samples: %+v, want %+v", got, want)
	}
	if ds[0] != 20*time.Millisecond {
		t.Fatal("distribution sorted its input")
	}
	five := []time.Duration{50, 10, 40, 20, 30}
	if got := distribution(five); got.Median != 30 || got.P95 != 50 || got.Min != 10 || got.Max != 50 {
		t.Fatalf("5 samples: %+v", got)
	}
	if got := distribution([]time.Duration{7}); got != (Distribution{7, 7, 7, 7}) {
		t.Fatalf("1 sample: %+v", got)
	}
	if got := distribution(nil); got != (Distribution{}) {
		t.Fatalf("no sample: %+v", got)
	}
}

// sampleResult is two viewers measured and one failed.
func sampleResult() JoinResult {
	r := JoinResult{
		Samples: []Sample{
			{FirstPacket: 12340 * time.Microsecond, FirstKeyframe: 45670 * time.Microsecond, Live: 70 * time.Millisecond, Codec: "H264", Route: "host/udp → host/udp"},
			{FirstPacket: 8 * time.Millisecond, FirstKeyframe: 31449 * time.Microsecond, Live: 52 * time.Millisecond, Codec: "H264", Route: "relay/udp(tls) → host/udp"},
		},
		Failures: 1,
		Errors:   []string{"bench 3: no keyframe within 15s: still waiting for a sub_offer"},
	}
	r.summarise()
	return r
}

func TestJSON(t *testing.T) {
	b, err := sampleResult().JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"n":2,"failures":1,` +
		`"first_packet_ms":{"min":8,"median":8,"p95":12.3,"max":12.3},` +
		`"first_keyframe_ms":{"min":31.4,"median":31.4,"p95":45.7,"max":45.7},` +
		`"live_edge_ms":{"min":52,"median":52,"p95":70,"max":70},` +
		`"routes":{"host/udp → host/udp":1,"relay/udp(tls) → host/udp":1}}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
	if bytes.ContainsRune(b, '\n') {
		t.Fatal("JSON spans several lines")
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleResult().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("table has %d lines:\n%s", len(lines), buf.String())
	}
	wantFields := [][]string{
		{"viewers", "3,", "failures", "1,", "codec", "H264"},
		{"ms", "n", "min", "median", "p95", "max"},
		{"first", "packet", "2", "8.0", "8.0", "12.3", "12.3"},
		{"first", "keyframe", "2", "31.4", "31.4", "45.7", "45.7"},
		{"live", "edge", "2", "52.0", "52.0", "70.0", "70.0"},
		{"route", "host/udp", "→", "host/udp:", "1"},
		{"route", "relay/udp(tls)", "→", "host/udp:", "1"},
		{"failed:", "bench", "3:", "no", "keyframe", "within", "15s:", "still", "waiting", "for", "a", "sub_offer"},
	}
	for i, want := range wantFields {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("line %d: %q, want fields %q", i, lines[i], want)
		}
	}
	// Right-aligned columns: the numbers end under their headings.
	if len(lines[1]) != len(lines[2]) || len(lines[2]) != len(lines[3]) {
		t.Errorf("rows of unequal width:\n%s", buf.String())
	}
}
