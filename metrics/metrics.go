// Package metrics exposes vigie's Prometheus metrics: the Go runtime and
// the process, the SFU (read from its snapshot at scrape time, so the
// media path never calls Prometheus), cameras, browser sessions, alarms,
// invitations and e-mails. Metrics owns its registry; nothing registers
// in Prometheus's global one.
package metrics

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"vigie/cameras"
	"vigie/sfu"
)

// SFU is what the metrics read of the media server.
type SFU interface{ Stats() sfu.Stats }

// Cameras is what the metrics read of the camera registry.
type Cameras interface{ Health() []cameras.Health }

// Sessions counts the browsers in rooms.
type Sessions interface{ Sessions() int }

// Config names the parts to read; a nil part has no metrics.
type Config struct {
	SFU      SFU
	Cameras  Cameras
	Sessions Sessions
	Version  string // vigie_build_info's version label
	Log      *slog.Logger
}

// Metrics holds the registry and the counters other parts feed through
// its methods, which never block.
type Metrics struct {
	registry *prometheus.Registry
	log      *slog.Logger

	alarms  *prometheus.CounterVec // source, outcome
	invited prometheus.Histogram
	emails  *prometheus.CounterVec // state
}

// New builds the registry with every collector.
func New(cfg Config) *Metrics {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	m := &Metrics{registry: prometheus.NewRegistry(), log: cfg.Log}
	m.alarms = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_alarms_received_total",
		Help: "Alarms stored, by source (dc09, webhook, console, cli, other) and outcome (opened, joined, duplicate, logged).",
	}, []string{"source", "outcome"})
	m.invited = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "vigie_alarm_to_invitations_seconds",
		Help:    "Time from an alarm's arrival to the invitations of the incident it opened being queued for sending.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	})
	m.emails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vigie_emails_total",
		Help: "Invitation e-mail status changes: queued, sent, retrying (an attempt failed, another is due), failed (given up).",
	}, []string{"state"})
	// Every series exists from the start at 0, so that increase() sees
	// the first alarm and the first e-mail.
	for _, source := range []string{"dc09", "webhook", "console", "cli", "other"} {
		for _, outcome := range []string{"opened", "joined", "duplicate", "logged"} {
			m.alarms.WithLabelValues(source, outcome)
		}
	}
	for _, state := range []string{"queued", "sent", "retrying", "failed"} {
		m.emails.WithLabelValues(state)
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "vigie_build_info", Help: "Always 1; the version label says which vigie runs.",
		ConstLabels: prometheus.Labels{"version": cfg.Version},
	})
	build.Set(1)
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.alarms, m.invited, m.emails, build,
	)
	if cfg.SFU != nil {
		m.registry.MustRegister(newSFUCollector(cfg.SFU))
	}
	if cfg.Cameras != nil {
		m.registry.MustRegister(newCameraCollector(cfg.Cameras))
	}
	if cfg.Sessions != nil {
		m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "vigie_websocket_sessions",
			Help: "Browsers in rooms now: joined WebSocket sessions.",
		}, func() float64 { return float64(cfg.Sessions.Sessions()) }))
		if w, ok := cfg.Sessions.(interface{ WHEPSessions() int }); ok {
			m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "vigie_whep_sessions",
				Help: "WHEP viewers and WHIP publishers now.",
			}, func() float64 { return float64(w.WHEPSessions()) }))
		}
	}
	return m
}

// Registry is where the metrics are gathered from.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in Prometheus's text format. A collector that
// fails leaves its metrics out and is logged; the rest is served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            m.registry,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	})
}

// AlarmRecorded counts a stored alarm; it is incident.Observer's.
func (m *Metrics) AlarmRecorded(source, outcome string) {
	m.alarms.WithLabelValues(sourceLabel(source), outcome).Inc()
}

// InvitationsQueued observes how long after its alarm an incident's
// invitations were queued; it is incident.Observer's.
func (m *Metrics) InvitationsQueued(sinceAlarm time.Duration) {
	m.invited.Observe(sinceAlarm.Seconds())
}

// MailStatus counts an e-mail's change of state (notify.Status.State:
// queued, sent, retrying or failed; any other is ignored).
func (m *Metrics) MailStatus(state string) {
	switch state {
	case "queued", "sent", "retrying", "failed":
		m.emails.WithLabelValues(state).Inc()
	}
}

// sourceLabel folds an alarm's source into a few values, so that
// operators' and integrations' names do not make a series each:
// "dc09-tcp" and "dc09-udp" are dc09, "webhook:NAME" is webhook,
// "operator:NAME" (the console) is console, and "admin" (the admin API,
// which `vigie alarm` uses) is cli.
func sourceLabel(source string) string {
	switch {
	case strings.HasPrefix(source, "dc09"):
		return "dc09"
	case strings.HasPrefix(source, "webhook"):
		return "webhook"
	case strings.HasPrefix(source, "operator:"):
		return "console"
	case source == "admin":
		return "cli"
	}
	return "other"
}
