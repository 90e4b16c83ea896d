package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"vigie/bench"
	"vigie/config"
)

const benchAlarmUsage = `usage: vigie bench alarm [--contacts 50] [--alarms 20] [--via dc09|api] [--timeout 30s]
         [--smtp HOST:PORT --mailpit-api URL]
         [--target URL --mailpit-api URL --site ID[=ACCOUNT]... [--dc09 HOST:PORT] [--data DIR] [--config FILE] [--insecure]]

From an alarm to the last invitation e-mail accepted by the mail server,
for a site whose committee has --contacts members; alarms one after the
other, each opening an incident that the bench closes once measured.

By default everything runs here: Mailpit (install it with
scripts/test-deps.sh), and vigie in-process with a temporary data directory,
--contacts contacts and --alarms sites, each with all of them as committee
and a DC-09 account of its own.

  --smtp, --mailpit-api  send to this Mailpit instead of starting one
                         (its SMTP address and its API's URL).
  --target URL           measure a running vigie instead (its HTTPS URL);
                         --mailpit-api is then the API of the Mailpit that
                         vigie sends to (its own smtp settings apply, --smtp
                         is not used). Its sites must exist, with --contacts
                         committee members and no open incident: --site ID,
                         repeated; with --via dc09, --site ID=ACCOUNT (a clear
                         account, without a key) and --dc09 its receiver's
                         address. --alarms goes through the sites in turn
                         (default: one alarm per site). The admin key comes
                         from VIGIE_ADMIN_KEY, admin.api_keys of --config, or
                         --data DIR/admin.key; vigie's CA from DIR/tls/ca.pem,
                         or --insecure. Mailpit's clock must be the bench's
                         (the same machine): its arrival stamps end each sample.`

// benchAlarmCommand runs `vigie bench alarm`.
func benchAlarmCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("vigie bench alarm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, benchAlarmUsage) }
	contacts := fs.Int("contacts", bench.DefaultContacts, "members of each site's committee: e-mails per alarm")
	alarms := fs.Int("alarms", bench.DefaultAlarms, "alarms, one after the other")
	via := fs.String("via", bench.ViaDC09, "how alarms come: dc09 (a panel's frame) or api (the operator's button)")
	timeout := fs.Duration("timeout", bench.DefaultAlarmTimeout, "longest wait for one alarm's e-mails")
	smtp := fs.String("smtp", "", "SMTP address of a running Mailpit for the in-process vigie")
	mailpitAPI := fs.String("mailpit-api", "", "API URL of that Mailpit, http://HOST:PORT")
	target := fs.String("target", "", "URL of a running vigie to measure")
	var sites stringList
	fs.Var(&sites, "site", "with --target: a site to raise alarms for, ID or ID=ACCOUNT (repeat)")
	dc09Addr := fs.String("dc09", "", "with --target: HOST:PORT of vigie's DC-09 receiver")
	data := fs.String("data", "", "with --target: vigie's data directory (admin.key, tls/ca.pem)")
	cfgPath := fs.String("config", "", "with --target: vigie's configuration file (admin.api_keys)")
	insecure := fs.Bool("insecure", false, "with --target: do not verify vigie's certificate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench alarm: unexpected argument %q (vigie bench alarm --help)", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *contacts < 1 || *alarms < 1 {
		return errors.New("bench alarm: --contacts and --alarms must be at least 1")
	}
	// One line per alarm as it is measured; the in-process vigie logs
	// only warnings.
	cfg := bench.AlarmConfig{Via: *via, Contacts: *contacts, Timeout: *timeout, Log: newLogger(stderr, "info", "text")}

	if *target != "" {
		if set["smtp"] {
			fmt.Fprintln(stderr, "bench alarm: --smtp is not used with --target: the running vigie's smtp settings apply")
		}
		if err := targetAlarmConfig(&cfg, *target, sites, *dc09Addr, *data, *cfgPath, *insecure); err != nil {
			return err
		}
		cfg.Mailpit = *mailpitAPI
		if cfg.Mailpit == "" {
			return errors.New("bench alarm: --target needs --mailpit-api, the API of the Mailpit that vigie sends to")
		}
		n := len(cfg.Sites)
		if set["alarms"] {
			n = *alarms
		}
		cfg.Sites = bench.SiteOrder(cfg.Sites, n)
	} else {
		for _, name := range []string{"site", "dc09", "data", "config", "insecure"} {
			if set[name] {
				return fmt.Errorf("bench alarm: --%s goes with --target (vigie bench alarm --help)", name)
			}
		}
		smtpAddr, api := *smtp, *mailpitAPI
		if (smtpAddr == "") != (api == "") {
			return errors.New("bench alarm: --smtp and --mailpit-api go together: the Mailpit to send to and its API")
		}
		if smtpAddr == "" {
			mp, err := bench.StartMailpit(ctx)
			if err != nil {
				return err
			}
			defer mp.Close()
			smtpAddr, api = mp.SMTP, mp.API
		}
		cfg.Mailpit = api
		stop, err := benchAlarmServer(ctx, &cfg, smtpAddr, *contacts, *alarms, stderr)
		if err != nil {
			return err
		}
		defer stop()
	}

	fmt.Fprintf(stderr, "raising %d alarms via %s, %d e-mails each\n", len(cfg.Sites), cfg.Via, cfg.Contacts)
	res, err := bench.Alarms(ctx, cfg)
	if err != nil {
		return err
	}
	if err := writeReport(stdout, res); err != nil {
		return err
	}
	if res.Failures > 0 {
		return fmt.Errorf("bench alarm: %d of %d alarms did not bring all their e-mails", res.Failures, res.Failures+len(res.Samples))
	}
	return nil
}

// targetAlarmConfig fills cfg to measure a running vigie.
func targetAlarmConfig(cfg *bench.AlarmConfig, target string, sites []string, dc09Addr, data, cfgPath string, insecure bool) error {
	if len(sites) == 0 {
		return errors.New("bench alarm: --target needs its sites: --site ID (--site ID=ACCOUNT with --via dc09), repeated")
	}
	for _, s := range sites {
		id, account, _ := strings.Cut(s, "=")
		cfg.Sites = append(cfg.Sites, bench.AlarmSite{ID: id, Account: account})
	}
	if cfg.Via == bench.ViaDC09 {
		if dc09Addr == "" {
			return errors.New("bench alarm: --target with --via dc09 needs --dc09 HOST:PORT, vigie's DC-09 receiver")
		}
		for _, s := range cfg.Sites {
			if s.Account == "" {
				return fmt.Errorf("bench alarm: --site %s: with --via dc09, give its account: --site %s=ACCOUNT", s.ID, s.ID)
			}
		}
		cfg.DC09 = dc09Addr
	}
	vcfg, err := loadConfig(serveFlags{config: cfgPath, data: data})
	if err != nil {
		return err
	}
	client, base, key, err := apiClient(vcfg, target)
	if err != nil {
		return err
	}
	if insecure {
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // asked for on the command line
	}
	cfg.Server, cfg.AdminKey, cfg.Client = base, key, client
	return nil
}

// benchAlarmServer starts vigie in-process with a generated directory:
// contacts bench-NN@bench.example, and one site per alarm with all of them
// as committee, a DC-09 account and no camera. It fills in what cfg needs
// to reach it.
func benchAlarmServer(ctx context.Context, cfg *bench.AlarmConfig, smtpAddr string, contacts, alarms int, stderr io.Writer) (func(), error) {
	host, portText, err := net.SplitHostPort(smtpAddr)
	if err != nil {
		return nil, fmt.Errorf("bench alarm: --smtp %q: %w", smtpAddr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("bench alarm: --smtp %q: port %q", smtpAddr, portText)
	}
	dir, err := os.MkdirTemp("", "vigie-bench-")
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	key := hex.EncodeToString(raw)

	vcfg := benchAlarmConfig(dir, host, port, contacts, alarms)
	vcfg.Admin.APIKeys = []string{key}
	if err := vcfg.Validate(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	srv, stop, err := startInProcess(ctx, vcfg, dir, stderr)
	if err != nil {
		return nil, err
	}
	_, httpPort, _ := net.SplitHostPort(srv.listener.Addr().String())
	cfg.Server = "https://127.0.0.1:" + httpPort
	cfg.AdminKey = key
	cfg.Client = &http.Client{
		Transport: &http.Transport{TLSClientConfig: trustServer(srv)},
		Timeout:   15 * time.Second,
	}
	cfg.DC09 = vcfg.DC09.Listen
	cfg.Sites = nil
	for _, s := range vcfg.Sites {
		cfg.Sites = append(cfg.Sites, bench.AlarmSite{ID: s.ID, Account: s.AlarmAccounts[0]})
	}
	return stop, nil
}

// benchAlarmConfig is the in-process vigie's configuration, mail to the
// plain SMTP server at host:port.
func benchAlarmConfig(dir, host string, port, contacts, alarms int) config.Config {
	cfg := config.Default()
	cfg.Data = dir
	cfg.Listen = "127.0.0.1:" + freePort()
	cfg.Log.Level = "warn"
	cfg.DC09.Listen = "127.0.0.1:" + freePort()
	useFreePorts(&cfg)
	cfg.SMTP = config.SMTP{Host: host, Port: port, TLS: "none", From: "vigie bench <alerte@bench.example>"}
	committee := make([]string, 0, contacts)
	for i := 1; i <= contacts; i++ {
		id := fmt.Sprintf("bench-%02d", i)
		committee = append(committee, id)
		cfg.Contacts = append(cfg.Contacts, config.Contact{
			ID: id, Name: fmt.Sprintf("Bench %02d", i), Email: id + "@bench.example", Role: "committee",
		})
	}
	for i := 1; i <= alarms; i++ {
		cfg.Sites = append(cfg.Sites, config.Site{
			ID: fmt.Sprintf("bench-site-%02d", i), Name: fmt.Sprintf("Bench site %02d", i),
			Address:       fmt.Sprintf("%d bench street", i),
			AlarmAccounts: []string{fmt.Sprintf("B%04X", i)},
			Committee:     committee,
		})
	}
	return cfg
}
