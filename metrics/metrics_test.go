package metrics

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"vigie/cameras"
	"vigie/sfu"
)

// fakeSFU returns a set snapshot.
type fakeSFU struct {
	mu    sync.Mutex
	stats sfu.Stats
}

func (f *fakeSFU) Stats() sfu.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

type fakeCameras []cameras.Health

func (f fakeCameras) Health() []cameras.Health { return f }

type fakeSessions int

func (f fakeSessions) Sessions() int { return int(f) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// scrape serves h once and returns each series' value by its name and
// labels as the text format writes them, such as
// vigie_camera_state{camera="a",state="live"}.
func scrape(t *testing.T, h http.Handler) (map[string]float64, int) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	series := map[string]float64{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series, rec.Code
}

func TestSFUCollector(t *testing.T) {
	latency := sfu.Histogram{Bounds: []float64{0.001, 0.01, 0.1}, Counts: []uint64{1, 2, 3, 4}, Sum: 1.5, Count: 10}
	tests := []struct {
		name   string
		stats  sfu.Stats
		want   map[string]float64
		absent []string
	}{
		{"nothing yet", sfu.Stats{CameraViewers: map[string]int{}}, map[string]float64{
			"vigie_sfu_rooms": 0, "vigie_sfu_participants": 0, "vigie_sfu_sent_packets_total": 0,
			`vigie_sfu_forward_latency_seconds_bucket{le="+Inf"}`: 0, "vigie_sfu_forward_latency_seconds_count": 0,
			"vigie_sfu_first_frame_seconds_count": 0,
		}, []string{`vigie_sfu_camera_viewers{camera="a"}`}},
		{"busy", sfu.Stats{
			Rooms: 2, Peers: 5, Tracks: 7, CameraViewers: map[string]int{"a": 3, "b": 1},
			PacketsIn: 100, BytesIn: 120000, PacketsOut: 300, BytesOut: 360000, NACKs: 4, PLIs: 2,
			CacheStarts: 3, Drops: 9, ForwardLatency: latency,
			KeyframeLatency: sfu.Histogram{Bounds: []float64{0.001, 0.01}, Counts: []uint64{0, 1, 1}, Sum: 0.5, Count: 2},
			FirstFrame:      sfu.Histogram{Bounds: []float64{0.5, 1}, Counts: []uint64{2, 0, 1}, Sum: 2.25, Count: 3},
		}, map[string]float64{
			"vigie_sfu_rooms": 2, "vigie_sfu_participants": 5, "vigie_sfu_tracks": 7,
			`vigie_sfu_camera_viewers{camera="a"}`: 3, `vigie_sfu_camera_viewers{camera="b"}`: 1,
			"vigie_sfu_received_packets_total": 100, "vigie_sfu_received_bytes_total": 120000,
			"vigie_sfu_sent_packets_total": 300, "vigie_sfu_sent_bytes_total": 360000,
			"vigie_sfu_nacks_received_total": 4, "vigie_sfu_plis_received_total": 2,
			"vigie_sfu_keyframe_cache_starts_total": 3, "vigie_sfu_dropped_packets_total": 9,
			`vigie_sfu_forward_latency_seconds_bucket{le="0.001"}`:         1,
			`vigie_sfu_forward_latency_seconds_bucket{le="0.01"}`:          3,
			`vigie_sfu_forward_latency_seconds_bucket{le="0.1"}`:           6,
			`vigie_sfu_forward_latency_seconds_bucket{le="+Inf"}`:          10,
			"vigie_sfu_forward_latency_seconds_sum":                        1.5,
			"vigie_sfu_forward_latency_seconds_count":                      10,
			`vigie_sfu_keyframe_forward_latency_seconds_bucket{le="0.01"}`: 1,
			"vigie_sfu_keyframe_forward_latency_seconds_count":             2,
			`vigie_sfu_first_frame_seconds_bucket{le="0.5"}`:               2,
			`vigie_sfu_first_frame_seconds_bucket{le="1"}`:                 2,
			`vigie_sfu_first_frame_seconds_bucket{le="+Inf"}`:              3,
			"vigie_sfu_first_frame_seconds_sum":                            2.25,
		}, nil},
		{"count taken mid-observation", sfu.Stats{ForwardLatency: sfu.Histogram{
			Bounds: []float64{0.001}, Counts: []uint64{4, 1}, Sum: 0.01, Count: 4,
		}}, map[string]float64{
			`vigie_sfu_forward_latency_seconds_bucket{le="+Inf"}`: 5, "vigie_sfu_forward_latency_seconds_count": 5,
		}, nil},
		{"malformed histograms are left out, the rest is served", sfu.Stats{Rooms: 1,
			ForwardLatency: sfu.Histogram{Bounds: []float64{0.001, 0.01}, Counts: []uint64{1, 2}},
			FirstFrame:     sfu.Histogram{Bounds: []float64{1, 0.5}, Counts: []uint64{1, 2, 3}},
		}, map[string]float64{"vigie_sfu_rooms": 1},
			[]string{"vigie_sfu_forward_latency_seconds_count", "vigie_sfu_first_frame_seconds_count"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(Config{SFU: &fakeSFU{stats: tt.stats}, Log: quiet()})
			got, code := scrape(t, m.Handler())
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			for k, v := range tt.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
				}
			}
			for _, k := range tt.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present", k)
				}
			}
		})
	}
}

func TestSFUCountersMove(t *testing.T) {
	src := &fakeSFU{}
	m := New(Config{SFU: src, Log: quiet()})
	for _, n := range []uint64{0, 10, 25} {
		src.mu.Lock()
		src.stats.PacketsOut = n
		src.mu.Unlock()
		if got, _ := scrape(t, m.Handler()); got["vigie_sfu_sent_packets_total"] != float64(n) {
			t.Fatalf("sent packets %v, want %d", got["vigie_sfu_sent_packets_total"], n)
		}
	}
}

func TestCameraCollector(t *testing.T) {
	m := New(Config{Log: quiet(), Cameras: fakeCameras{
		{ID: "entree", State: "live", Reconnects: 2},
		{ID: "cour", State: cameras.StateIdle},
		{ID: "quai", State: "paused"}, // a state the list does not know yet
	}})
	got, _ := scrape(t, m.Handler())
	want := map[string]float64{
		`vigie_camera_state{camera="entree",state="live"}`:         1,
		`vigie_camera_state{camera="entree",state="idle"}`:         0,
		`vigie_camera_state{camera="entree",state="reconnecting"}`: 0,
		`vigie_camera_state{camera="entree",state="failed"}`:       0,
		`vigie_camera_state{camera="entree",state="connecting"}`:   0,
		`vigie_camera_state{camera="cour",state="idle"}`:           1,
		`vigie_camera_state{camera="cour",state="live"}`:           0,
		`vigie_camera_state{camera="quai",state="paused"}`:         1,
		`vigie_camera_state{camera="quai",state="live"}`:           0,
		`vigie_camera_reconnects_total{camera="entree"}`:           2,
		`vigie_camera_reconnects_total{camera="cour"}`:             0,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
}

func TestAlarmsMailAndSessions(t *testing.T) {
	m := New(Config{Log: quiet(), Sessions: fakeSessions(3), Version: "1.2.3"})
	for _, a := range []struct{ source, outcome string }{
		{"dc09-tcp", "opened"}, {"dc09-udp", "duplicate"}, {"webhook:arc-nord", "joined"},
		{"operator:alice", "joined"}, {"operator:bob", "joined"}, {"admin", "opened"}, {"", "logged"},
	} {
		m.AlarmRecorded(a.source, a.outcome)
	}
	for _, st := range []string{"queued", "queued", "sent", "retrying", "failed", "bogus"} {
		m.MailStatus(st)
	}
	m.InvitationsQueued(30 * time.Millisecond)
	m.InvitationsQueued(2 * time.Second)

	got, _ := scrape(t, m.Handler())
	want := map[string]float64{
		`vigie_alarms_received_total{outcome="opened",source="dc09"}`:    1,
		`vigie_alarms_received_total{outcome="duplicate",source="dc09"}`: 1,
		`vigie_alarms_received_total{outcome="joined",source="webhook"}`: 1,
		`vigie_alarms_received_total{outcome="joined",source="console"}`: 2,
		`vigie_alarms_received_total{outcome="opened",source="cli"}`:     1,
		`vigie_alarms_received_total{outcome="logged",source="other"}`:   1,
		`vigie_alarms_received_total{outcome="opened",source="webhook"}`: 0,
		`vigie_emails_total{state="queued"}`:                             2,
		`vigie_emails_total{state="sent"}`:                               1,
		`vigie_emails_total{state="retrying"}`:                           1,
		`vigie_emails_total{state="failed"}`:                             1,
		`vigie_alarm_to_invitations_seconds_bucket{le="0.025"}`:          0,
		`vigie_alarm_to_invitations_seconds_bucket{le="0.05"}`:           1,
		`vigie_alarm_to_invitations_seconds_bucket{le="2.5"}`:            2,
		"vigie_alarm_to_invitations_seconds_count":                       2,
		"vigie_alarm_to_invitations_seconds_sum":                         2.03,
		"vigie_websocket_sessions":                                       3,
		`vigie_build_info{version="1.2.3"}`:                              1,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got[`vigie_emails_total{state="bogus"}`]; ok {
		t.Error("an unknown e-mail state made a series")
	}
}

func TestRuntimeMetricsAndOwnRegistry(t *testing.T) {
	m := New(Config{Log: quiet()})
	got, _ := scrape(t, m.Handler())
	for _, name := range []string{"process_cpu_seconds_total", "process_resident_memory_bytes", "go_goroutines", `vigie_emails_total{state="sent"}`} {
		if _, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if _, ok := got["vigie_sfu_rooms"]; ok {
		t.Error("SFU metrics without an SFU")
	}
	// Two servers in one process (tests, the bench) each have their own.
	New(Config{Log: quiet()})
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "vigie_") {
			t.Fatalf("%s registered in the global registry", f.GetName())
		}
	}
}

func TestRequireToken(t *testing.T) {
	const token = "0123456789abcdef0123"
	h := RequireToken(token, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }))
	tests := []struct {
		name, header string
		want         int
	}{
		{"none", "", http.StatusUnauthorized},
		{"wrong", "Bearer nope", http.StatusUnauthorized},
		{"prefix of the token", "Bearer " + token[:10], http.StatusUnauthorized},
		{"basic scheme", "Basic " + token, http.StatusUnauthorized},
		{"bare token", token, http.StatusUnauthorized},
		{"right", "Bearer " + token, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Fatal("401 without a Bearer challenge")
			}
		})
	}
}

func TestSourceLabel(t *testing.T) {
	for source, want := range map[string]string{
		"dc09-tcp": "dc09", "dc09-udp": "dc09", "webhook:arc-nord": "webhook", "operator:c.martin": "console",
		"admin": "cli", "operator": "other", "": "other", "cli": "other",
	} {
		if got := sourceLabel(source); got != want {
			t.Errorf("sourceLabel(%q) = %q, want %q", source, got, want)
		}
	}
}
