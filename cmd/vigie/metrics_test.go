package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testMetricsToken = "metrics-test-token-0123456789"

// scrapeMetrics gets url with the token (none when empty) and returns the
// status and, on 200, each series' value by its name and labels as the text
// format writes them.
func scrapeMetrics(t *testing.T, client *http.Client, url, token string) (int, map[string]float64) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return resp.StatusCode, series
}

// waitMetric scrapes until series name has value want.
func waitMetric(t *testing.T, client *http.Client, url, name string, want float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, series := scrapeMetrics(t, client, url, testMetricsToken)
		if code != http.StatusOK {
			t.Fatalf("scrape: %d", code)
		}
		if v, ok := series[name]; ok && v == want {
			return series
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after 20 s, want %v", name, series[name], want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	data := t.TempDir()
	plain := freeAddr(t)
	cfg := filepath.Join(data, "vigie.yaml")
	yaml := fmt.Sprintf("metrics:\n  token: %q\n  listen: %q\n  pprof: true\n", testMetricsToken, plain)
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := startServe(t, data, "--config", cfg, "--demo")
	stopped := false
	defer func() {
		if !stopped {
			stop()
		}
	}()
	client := trustingClient(t, data)
	for _, url := range []string{base + "/metrics", "http://" + plain + "/metrics"} {
		for _, token := range []string{"", "wrong-token-0123456789"} {
			if code, _ := scrapeMetrics(t, client, url, token); code != http.StatusUnauthorized {
				t.Fatalf("%s with token %q: %d, want 401", url, token, code)
			}
		}
	}

	url := base + "/metrics"
	series := waitMetric(t, client, url, `vigie_camera_state{camera="demo",state="live"}`, 1)
	for _, name := range []string{
		"process_cpu_seconds_total", "go_goroutines", "vigie_sfu_rooms", "vigie_sfu_participants",
		`vigie_sfu_forward_latency_seconds_bucket{le="+Inf"}`, "vigie_sfu_forward_latency_seconds_count",
		"vigie_sfu_first_frame_seconds_count", `vigie_camera_reconnects_total{camera="demo"}`,
		"vigie_websocket_sessions", "vigie_whep_sessions", `vigie_build_info{version="dev"}`,
	} {
		if _, ok := series[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if series["vigie_alarm_to_invitations_seconds_count"] != 0 || series[`vigie_emails_total{state="sent"}`] != 0 {
		t.Fatalf("alarm metrics before any alarm: %v", series)
	}

	// The operator's alarm from the command line opens an incident and
	// mails the demo site's committee (one contact, to the log).
	var out strings.Builder
	if code := run(context.Background(), []string{"alarm", "--site", "demo", "--data", data, "--server", base}, &out, io.Discard); code != 0 {
		t.Fatalf("vigie alarm exit %d: %s", code, out.String())
	}
	// Without a mail server the e-mail fails for good, and says so.
	series = waitMetric(t, client, url, `vigie_emails_total{state="failed"}`, 1)
	want := map[string]float64{
		`vigie_alarms_received_total{outcome="opened",source="cli"}`: 1,
		"vigie_alarm_to_invitations_seconds_count":                   1,
		`vigie_emails_total{state="queued"}`:                         1,
		`vigie_emails_total{state="sent"}`:                           0,
	}
	for name, v := range want {
		if series[name] != v {
			t.Errorf("%s = %v, want %v", name, series[name], v)
		}
	}
	if s := series["vigie_alarm_to_invitations_seconds_sum"]; s <= 0 || s > 10 {
		t.Errorf("alarm to invitations took %v s", s)
	}

	// The profiler, on the plain listener only, needs the token too.
	for token, want := range map[string]int{"": http.StatusUnauthorized, testMetricsToken: http.StatusOK} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+plain+"/debug/pprof/cmdline", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("pprof with token %q: %d, want %d", token, resp.StatusCode, want)
		}
	}
	if code, _ := scrapeMetrics(t, client, base+"/debug/pprof/cmdline", testMetricsToken); code == http.StatusOK {
		t.Fatal("the profiler is served on the HTTPS listener")
	}

	// The plain listener serves the same registry.
	if _, plainSeries := scrapeMetrics(t, http.DefaultClient, "http://"+plain+"/metrics", testMetricsToken); plainSeries["vigie_alarm_to_invitations_seconds_count"] != 1 {
		t.Fatalf("plain listener: %v", plainSeries)
	}
	stopped = true
	if code := stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	if _, err := http.Get("http://" + plain + "/metrics"); err == nil {
		t.Fatal("the plain metrics listener outlived the server")
	}
}

func TestMetricsOffByDefault(t *testing.T) {
	data := t.TempDir()
	base, stop := startServe(t, data)
	defer stop()
	code, _ := scrapeMetrics(t, trustingClient(t, data), base+"/metrics", testMetricsToken)
	if code != http.StatusNotFound {
		t.Fatalf("/metrics without metrics configured: %d, want 404", code)
	}
}

func TestMetricsListenRefusedOffLoopbackWithoutToken(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigie.yaml")
	_ = os.WriteFile(cfg, []byte("metrics:\n  listen: \":9464\"\n"), 0o600)
	var stderr strings.Builder
	code := run(context.Background(), []string{"serve", "--config", cfg, "--data", dir}, io.Discard, &stderr)
	if code == 0 || !strings.Contains(stderr.String(), "metrics.listen") || !strings.Contains(stderr.String(), "metrics.token") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
