package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"vigie/alarm"
	"vigie/config"
	"vigie/console"
	"vigie/incident"
	"vigie/notify"
	"vigie/rooms"
	"vigie/store"
	"vigie/token"
)

// incidents is the alarm side of the server: the mail outbox, the incident
// service and the alarm receivers, and the goroutines that run them.
type incidents struct {
	service *incident.Service
	outbox  *notify.Outbox
	dc09    *alarm.DC09Receiver
	console *console.Console // nil without operators
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// startIncidents wires incidents when the configuration has sites; it
// returns nil otherwise.
func (s *server) startIncidents(ctx context.Context, cfg config.Config, signer *token.Signer, log *slog.Logger) (*incidents, error) {
	if len(cfg.Sites) == 0 {
		return nil, nil
	}
	transport, err := mailTransport(cfg.SMTP, log)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	inc := &incidents{cancel: cancel}
	inc.outbox, err = notify.NewOutbox(notify.OutboxConfig{
		Transport: transport, Store: s.store, Log: log,
		OnStatus: func(st notify.Status) { s.metrics.MailStatus(st.State); inc.service.OnMailStatus(st) },
	})
	if err != nil {
		cancel()
		return nil, err
	}
	inc.service, err = incident.New(incident.Config{
		Store: s.store, Cameras: incidentCameras{s}, Mailer: inc.outbox, Tokens: signer,
		Directory: incident.NewDirectory(cfg), CentrePhone: cfg.Incidents.CentrePhone,
		EscalateAfter: cfg.Incidents.EscalateAfter.Std(), Log: log, Observer: s.metrics,
		Recorder: s.incidentRecorder(), AccessChanged: s.signaling.AccessChanged,
	})
	if err == nil {
		err = inc.service.ResumeRecordings(ctx)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	if inc.console, err = newConsole(cfg, inc.service, s.store, log); err != nil {
		cancel()
		return nil, err
	}
	inc.wg.Go(func() { inc.outbox.Run(ctx) })
	inc.wg.Go(func() { inc.service.Run(ctx, 5*time.Second) })
	if cfg.DC09.Listen != "" {
		if inc.dc09, err = alarm.StartDC09(ctx, dc09Config(cfg, log), inc.service); err != nil {
			inc.close()
			return nil, fmt.Errorf("dc09 receiver: %w", err)
		}
		tcp, _ := inc.dc09.Addr()
		log.Info("DC-09 receiver listening", "addr", tcp.String())
	}
	return inc, nil
}

// routes mounts the operator's incident API behind the admin key, and the
// signed alarm webhook.
func (inc *incidents) routes(mux *http.ServeMux, admin *rooms.API, st incidentStore, hooks []config.Webhook, log *slog.Logger) {
	webhook := &alarm.Webhook{Opener: inc.service, Sites: inc.service.HasSite, Log: log}
	for _, h := range hooks {
		webhook.Integrations = append(webhook.Integrations, alarm.WebhookIntegration{Name: h.Name, Secret: h.Secret})
	}
	mux.Handle("POST /api/v1/alarms", webhook)
	api := (&incident.API{Service: inc.service, Store: st}).Handler()
	mux.Handle("/api/v1/incidents", admin.Authorized(api.ServeHTTP))
	mux.Handle("/api/v1/incidents/", admin.Authorized(api.ServeHTTP))
	mux.Handle("/api/v1/invitations/", admin.Authorized(api.ServeHTTP))
	// The operator console's login and API; its page is web's /console
	// (a "/console/" pattern would redirect the page there).
	if inc.console != nil {
		for _, path := range []string{"/console/login", "/console/logout", "/console/api/"} {
			mux.Handle(path, inc.console)
		}
	}
}

// newConsole builds the operator console when the configuration has
// operators; it returns nil otherwise.
func newConsole(cfg config.Config, svc *incident.Service, st *store.Store, log *slog.Logger) (*console.Console, error) {
	if len(cfg.Operators) == 0 {
		log.Info("no operators configured: the console at /console is off")
		return nil, nil
	}
	return console.New(console.Config{
		Operators: cfg.Operators, Sites: cfg.Sites, Cameras: cfg.Cameras, Mail: st, Log: log,
		Incidents: (&incident.API{Service: svc, Store: st}).Handler(),
	})
}

// close stops the receivers and the loops and waits for them.
func (inc *incidents) close() {
	if inc.dc09 != nil {
		_ = inc.dc09.Close()
	}
	inc.cancel()
	inc.wg.Wait()
}

func mailTransport(c config.SMTP, log *slog.Logger) (notify.Transport, error) {
	if c.Host == "" {
		log.Warn("no smtp.host: invitation links are written to the log and marked not sent")
		return notify.NewConsole(log), nil
	}
	return notify.NewSMTP(notify.SMTPConfig{
		Host: c.Host, Port: c.Port, Username: c.Username, Password: c.Password, TLS: c.TLS, From: c.From,
	})
}

// dc09Config maps the configuration: an account's site from the sites, its
// key and clock from dc09.accounts.
func dc09Config(cfg config.Config, log *slog.Logger) alarm.DC09Config {
	keys := map[string]config.DC09Account{}
	for _, a := range cfg.DC09.Accounts {
		keys[a.Number] = a
	}
	out := alarm.DC09Config{Addr: cfg.DC09.Listen, UnknownAccount: cfg.DC09.UnknownAccount, Log: log}
	for _, site := range cfg.Sites {
		for _, number := range site.AlarmAccounts {
			k := keys[number]
			acct := alarm.Account{Number: number, Site: site.ID, Key: k.Key}
			if k.Before != 0 || k.After != 0 {
				acct.Window = [2]time.Duration{-k.Before.Std(), k.After.Std()}
			}
			if k.TimeZone != "" {
				acct.Location, _ = time.LoadLocation(k.TimeZone) // checked by config.Validate
			}
			out.Accounts = append(out.Accounts, acct)
		}
	}
	return out
}

// incidentStore is what the incident API lists from the store.
type incidentStore = interface {
	OpenIncidents(ctx context.Context) ([]store.Incident, error)
	Invitations(ctx context.Context, incident string) ([]store.Invitation, error)
}
