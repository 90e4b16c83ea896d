package bench

// The alarm measurement: how long from an alarm to the last invitation
// e-mail accepted by the mail server. Alarms are raised one after the
// other, each for a site with no open incident, so that each opens one and
// e-mails the site's whole committee. The end of each is read from the mail
// server's side: Mailpit stamps every message with the time it stored it,
// before it answers the end of DATA, and that time minus the moment the
// alarm left is the sample. Polling Mailpit only decides when to look; it
// adds nothing to what is measured.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigie/alarm/dc09"
)

// Defaults of AlarmConfig, and the objective the report compares to.
const (
	DefaultContacts     = 50
	DefaultAlarms       = 20
	DefaultAlarmTimeout = 30 * time.Second
	AlarmObjective      = time.Second // p99 of alarm to last e-mail
)

// Ways to raise an alarm.
const (
	ViaDC09 = "dc09" // a clear ADM-CID frame over TCP, as a panel sends it
	ViaAPI  = "api"  // POST /api/v1/incidents with the admin key, the operator's button
)

// AlarmSite is a site of the running vigie that the bench raises alarms for.
type AlarmSite struct {
	ID      string // the site's id in vigie's configuration
	Account string // its DC-09 account (hex digits, clear text: no key); needed with ViaDC09
}

// AlarmConfig says how to run an alarm measurement. The sites must have no
// open incident: an alarm for a site with one joins it and sends nothing.
// Every incident the bench opens, it closes once measured.
type AlarmConfig struct {
	Sites    []AlarmSite   // one alarm per entry, in order; a site may come back once its incident is closed
	Via      string        // ViaDC09 (default) or ViaAPI
	DC09     string        // host:port of vigie's DC-09 receiver, TCP
	Server   string        // vigie's base URL, https://host:port: the operator API, to find and close the incidents
	AdminKey string        // vigie's admin API key
	Client   *http.Client  // for Server, trusting its certificate (nil: http.DefaultClient)
	Mailpit  string        // base URL of the API of the Mailpit vigie sends to, http://host:port
	Contacts int           // e-mails each alarm brings: the site's committee (default 50)
	Timeout  time.Duration // one alarm, from sending it to its last e-mail (default 30 s)
	Log      *slog.Logger  // nil: slog.Default()
}

func (c AlarmConfig) withDefaults() (AlarmConfig, error) {
	if c.Via == "" {
		c.Via = ViaDC09
	}
	if c.Contacts <= 0 {
		c.Contacts = DefaultContacts
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultAlarmTimeout
	}
	if c.Client == nil {
		c.Client = http.DefaultClient
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	c.Server = strings.TrimSuffix(c.Server, "/")
	c.Mailpit = strings.TrimSuffix(c.Mailpit, "/")
	switch {
	case len(c.Sites) == 0:
		return c, errors.New("bench alarm: no site")
	case c.Via != ViaDC09 && c.Via != ViaAPI:
		return c, fmt.Errorf("bench alarm: via %q is not %s or %s", c.Via, ViaDC09, ViaAPI)
	case c.Via == ViaDC09 && c.DC09 == "":
		return c, errors.New("bench alarm: the DC-09 receiver's address is needed")
	case c.Server == "" || c.AdminKey == "":
		return c, errors.New("bench alarm: vigie's URL and admin key are needed")
	case c.Mailpit == "":
		return c, errors.New("bench alarm: Mailpit's API URL is needed")
	}
	for _, s := range c.Sites {
		if s.ID == "" {
			return c, errors.New("bench alarm: a site without an id")
		}
		if c.Via == ViaDC09 && !isHexAccount(s.Account) {
			return c, fmt.Errorf("bench alarm: site %s: DC-09 account %q is not 3 to 16 hex digits", s.ID, s.Account)
		}
	}
	return c, nil
}

func isHexAccount(s string) bool {
	if len(s) < 3 || len(s) > 16 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// AlarmSample is what one alarm measured, each duration from the moment
// the alarm was sent.
type AlarmSample struct {
	Site      string
	Incident  string
	Mails     int           // the incident's committee e-mails, all accepted
	Accepted  time.Duration // to vigie's answer: the DC-09 ACK or the API's 201, sent once the alarm and its e-mails are stored
	FirstMail time.Duration // to the first e-mail accepted by the mail server
	LastMail  time.Duration // to the last one
}

// AlarmDistribution summarises one measure over the alarms (nearest-rank
// percentiles).
type AlarmDistribution struct {
	Min, Median, P99, Max time.Duration
}

// AlarmResult is a whole measurement.
type AlarmResult struct {
	Via       string
	Contacts  int
	Samples   []AlarmSample
	Failures  int
	Errors    []string
	Accepted  AlarmDistribution
	FirstMail AlarmDistribution
	LastMail  AlarmDistribution
}

// Alarms raises the alarms one after the other and measures each.
// An alarm that fails is counted and reported, and the next one goes on;
// the error is for a run that cannot go on.
func Alarms(ctx context.Context, cfg AlarmConfig) (AlarmResult, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return AlarmResult{}, err
	}
	r := &alarmRun{cfg: cfg, mail: &http.Client{Timeout: 10 * time.Second}, seq: int(time.Now().Unix() % 9999)}
	res := AlarmResult{Via: cfg.Via, Contacts: cfg.Contacts}
	open, err := r.incidents(ctx)
	if err != nil {
		return res, err
	}
	for _, inc := range open {
		for _, s := range cfg.Sites {
			if inc.Site == s.ID {
				return res, fmt.Errorf("bench alarm: site %s has an open incident, %s: an alarm would join it and send no e-mail; close it first", s.ID, inc.ID)
			}
		}
	}
	for i, site := range cfg.Sites {
		s, err := r.one(ctx, i, site)
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if err != nil {
			res.Failures++
			res.Errors = append(res.Errors, fmt.Sprintf("alarm %d (site %s): %v", i+1, site.ID, err))
			cfg.Log.Warn("alarm failed", "alarm", i+1, "site", site.ID, "err", err)
			continue
		}
		res.Samples = append(res.Samples, s)
		cfg.Log.Info("alarm measured", "alarm", i+1, "site", site.ID, "incident", s.Incident,
			"accepted", s.Accepted, "first_mail", s.FirstMail, "last_mail", s.LastMail)
	}
	res.summarise()
	return res, nil
}

// alarmRun is one measurement under way.
type alarmRun struct {
	cfg  AlarmConfig
	mail *http.Client // for Mailpit
	seq  int          // DC-09 sequence numbers of this run start after it
}

// pollEvery is how often Mailpit and vigie are asked; it bounds how long
// the bench waits, not what it measures.
const pollEvery = 25 * time.Millisecond

// one raises the i-th alarm, for site, and measures it; the incident it
// opened is closed before it returns.
func (r *alarmRun) one(ctx context.Context, i int, site AlarmSite) (AlarmSample, error) {
	before, err := r.mailIDs(ctx)
	if err != nil {
		return AlarmSample{}, err
	}
	sent, answered, incident, err := r.raise(ctx, i, site)
	if err != nil {
		return AlarmSample{}, err
	}
	s := AlarmSample{Site: site.ID, Incident: incident, Accepted: answered.Sub(sent)}
	var mails map[string]time.Time
	s.Incident, mails, err = r.awaitMails(ctx, site, sent, incident, before)
	if s.Incident != "" {
		defer r.closeIncident(ctx, s.Incident)
	}
	if err != nil {
		return s, err
	}
	s.Mails = len(mails)
	first, last := spread(mails)
	s.FirstMail, s.LastMail = first.Sub(sent), last.Sub(sent)
	if err := r.awaitSentState(ctx, s.Incident); err != nil {
		return s, err
	}
	return s, nil
}

// spread is the earliest and the latest of the times.
func spread(ts map[string]time.Time) (first, last time.Time) {
	for _, t := range ts {
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	return first, last
}

// raise sends the alarm and waits for vigie's answer; sent is taken just
// before the first byte leaves. incident is "" when the answer does not
// name it (DC-09).
func (r *alarmRun) raise(ctx context.Context, i int, site AlarmSite) (sent, answered time.Time, incident string, err error) {
	if r.cfg.Via == ViaAPI {
		return r.raiseAPI(ctx, site)
	}
	return r.raiseDC09(ctx, i, site)
}

// raiseDC09 sends a panic (Contact ID 120, new event) on a connection of
// its own, as a panel does, and reads the ACK.
func (r *alarmRun) raiseDC09(ctx context.Context, i int, site AlarmSite) (sent, answered time.Time, incident string, err error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", r.cfg.DC09)
	if err != nil {
		return sent, answered, "", fmt.Errorf("DC-09 receiver: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(r.cfg.Timeout))
	// The sequence number is part of vigie's duplicate check: a run must
	// not repeat one of a run an hour ago for the same account.
	seq := 1 + (r.seq+i)%9999
	frame, err := cidFrame(site.Account, seq, "1120 01 001", time.Now().UTC())
	if err != nil {
		return sent, answered, "", err
	}
	sent = time.Now()
	if _, err := conn.Write(frame); err != nil {
		return sent, answered, "", fmt.Errorf("DC-09 send: %w", err)
	}
	reply, err := dc09.NewScanner(conn).Next()
	answered = time.Now()
	if err != nil {
		return sent, answered, "", fmt.Errorf("DC-09 reply: %w", err)
	}
	f, err := dc09.ParseFrame(reply)
	if err != nil {
		return sent, answered, "", fmt.Errorf("DC-09 reply %q: %w", reply, err)
	}
	if f.ID != "ACK" {
		return sent, answered, "", fmt.Errorf("vigie answered %s to the alarm frame for account %s (a DUH: the account has a key, and the bench sends clear frames)", f.ID, site.Account)
	}
	return sent, answered, "", nil
}

// cidFrame is a clear ADM-CID frame for account with the Contact ID
// event "QEEE GG ZZZ" and a timestamp, LF to CR, with its CRC and length.
func cidFrame(account string, seq int, event string, at time.Time) ([]byte, error) {
	if seq < 0 || seq > 9999 {
		return nil, fmt.Errorf("DC-09 sequence number %d is not 0 to 9999", seq)
	}
	if _, err := dc09.ParseContactID([]byte(event)); err != nil {
		return nil, err
	}
	return dc09.Encode(dc09.Frame{
		ID: "ADM-CID", Seq: fmt.Sprintf("%04d", seq), Line: "0", Account: account,
		Data: []byte("#" + account + "|" + event), Timestamp: dc09.FormatTimestamp(at),
	}, dc09.Key{}, nil)
}

// raiseAPI is the operator's button. The HTTPS connection is opened
// beforehand, as an operator's console keeps it: the sample is vigie's
// work, not a TLS handshake.
func (r *alarmRun) raiseAPI(ctx context.Context, site AlarmSite) (sent, answered time.Time, incident string, err error) {
	if err := r.api(ctx, http.MethodGet, "/healthz", nil, http.StatusOK, nil); err != nil {
		return sent, answered, "", err
	}
	body, _ := json.Marshal(map[string]string{"site": site.ID, "kind": "holdup"})
	var out struct {
		ID     string `json:"id"`
		Opened bool   `json:"opened"`
	}
	sent = time.Now()
	err = r.api(ctx, http.MethodPost, "/api/v1/incidents", body, http.StatusCreated, &out)
	answered = time.Now()
	if err != nil {
		return sent, answered, "", err
	}
	if !out.Opened || out.ID == "" {
		return sent, answered, out.ID, fmt.Errorf("the alarm opened no incident (answer %+v)", out)
	}
	return sent, answered, out.ID, nil
}

// awaitMails waits until every committee e-mail of the site's new incident
// is in Mailpit, and returns the incident and, per invitation, the time
// the mail server accepted its first copy. before holds the Mailpit ids
// of the messages already there.
func (r *alarmRun) awaitMails(ctx context.Context, site AlarmSite, sent time.Time, incident string, before map[string]bool) (string, map[string]time.Time, error) {
	deadline := sent.Add(r.cfg.Timeout)
	var invitations map[string]string // invitation id → state
	var fresh []mailSummary
	for {
		list, err := r.messages(ctx)
		if err != nil {
			return incident, nil, err
		}
		fresh = fresh[:0]
		for _, m := range list {
			if !before[m.ID] {
				fresh = append(fresh, m)
			}
		}
		// vigie is asked once enough mail came, so as not to load it
		// while it sends.
		if len(fresh) >= r.cfg.Contacts {
			if invitations == nil {
				if incident, invitations, err = r.committee(ctx, site, incident); err != nil {
					return incident, nil, err
				}
				if len(invitations) != r.cfg.Contacts {
					return incident, nil, fmt.Errorf("incident %s invited %d contacts, not %d: give the committee's size", incident, len(invitations), r.cfg.Contacts)
				}
			}
			if got := accepted(fresh, invitations); len(got) == len(invitations) {
				return incident, got, nil
			}
		}
		if time.Now().After(deadline) {
			return incident, nil, r.missing(ctx, site, incident, fresh)
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return incident, nil, err
		}
	}
}

// accepted maps each invitation that has a message among msgs to the
// time its first copy was accepted.
func accepted(msgs []mailSummary, invitations map[string]string) map[string]time.Time {
	got := make(map[string]time.Time, len(invitations))
	for _, m := range msgs {
		inv := invitationOf(m.MessageID)
		if _, ok := invitations[inv]; !ok {
			continue
		}
		if t, seen := got[inv]; !seen || m.Created.Before(t) {
			got[inv] = m.Created
		}
	}
	return got
}

// invitationOf is the invitation id in the Message-ID vigie gives an
// invitation's e-mail: vigie.<invitation>@<sender's domain>.
func invitationOf(messageID string) string {
	id, _, _ := strings.Cut(strings.Trim(messageID, "<>"), "@")
	return strings.TrimPrefix(id, "vigie.")
}

// missing explains a timeout: how many e-mails came, and what vigie says
// of its invitations.
func (r *alarmRun) missing(ctx context.Context, site AlarmSite, incident string, fresh []mailSummary) error {
	msg := fmt.Sprintf("%d new e-mails in Mailpit after %v, want %d", len(fresh), r.cfg.Timeout, r.cfg.Contacts)
	incident, invitations, err := r.committee(ctx, site, incident)
	if err != nil {
		return fmt.Errorf("%s; %v", msg, err)
	}
	got := len(accepted(fresh, invitations))
	err = fmt.Errorf("%s; incident %s: %d of its %d invitations' e-mails arrived; invitations %s",
		msg, incident, got, len(invitations), countStates(invitations))
	if got == 0 && countStates(invitations) == fmt.Sprintf("%d sent", len(invitations)) {
		err = fmt.Errorf("%w: is this the Mailpit that vigie sends to?", err)
	}
	return err
}

// countStates writes "48 sent, 2 failed".
func countStates(invitations map[string]string) string {
	n := map[string]int{}
	for _, st := range invitations {
		n[st]++
	}
	states := make([]string, 0, len(n))
	for st := range n {
		states = append(states, st)
	}
	slices.Sort(states)
	parts := make([]string, 0, len(states))
	for _, st := range states {
		parts = append(parts, fmt.Sprintf("%d %s", n[st], st))
	}
	return strings.Join(parts, ", ")
}

// awaitSentState waits until vigie has recorded every committee
// invitation of the incident as sent (or further along): what the
// operator's console shows must agree with the mail server.
func (r *alarmRun) awaitSentState(ctx context.Context, incident string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, invitations, err := r.committee(ctx, AlarmSite{}, incident)
		if err != nil {
			return err
		}
		done := true
		for _, st := range invitations {
			if st == "created" || st == "failed" {
				done = false
			}
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("every e-mail was accepted, but vigie still records its invitations as %s", countStates(invitations))
		}
		if err := sleep(ctx, pollEvery); err != nil {
			return err
		}
	}
}

// openIncident is the part of GET /api/v1/incidents the bench reads.
type openIncident struct {
	ID          string    `json:"id"`
	Site        string    `json:"site"`
	OpenedAt    time.Time `json:"opened_at"`
	Invitations []struct {
		ID    string `json:"id"`
		List  string `json:"list"`
		State string `json:"state"`
	} `json:"invitations"`
}

func (r *alarmRun) incidents(ctx context.Context) ([]openIncident, error) {
	var out struct {
		Incidents []openIncident `json:"incidents"`
	}
	err := r.api(ctx, http.MethodGet, "/api/v1/incidents", nil, http.StatusOK, &out)
	return out.Incidents, err
}

// committee returns the incident, or when it is "" the site's latest open
// one, with the states of its committee invitations by id.
func (r *alarmRun) committee(ctx context.Context, site AlarmSite, incident string) (string, map[string]string, error) {
	open, err := r.incidents(ctx)
	if err != nil {
		return incident, nil, err
	}
	var found *openIncident
	for i, inc := range open {
		if incident != "" && inc.ID == incident ||
			incident == "" && inc.Site == site.ID && (found == nil || inc.OpenedAt.After(found.OpenedAt)) {
			found = &open[i]
		}
	}
	if found == nil {
		if incident != "" {
			return incident, nil, fmt.Errorf("incident %s is not open", incident)
		}
		return "", nil, fmt.Errorf("no open incident for site %s", site.ID)
	}
	invitations := map[string]string{}
	for _, inv := range found.Invitations {
		if inv.List == "committee" {
			invitations[inv.ID] = inv.State
		}
	}
	return found.ID, invitations, nil
}

// closeIncident closes what the bench opened, so that the site can take
// another alarm and nobody is alerted later.
func (r *alarmRun) closeIncident(ctx context.Context, id string) {
	ctx = context.WithoutCancel(ctx)
	if err := r.api(ctx, http.MethodPost, "/api/v1/incidents/"+url.PathEscape(id)+"/close", nil, http.StatusNoContent, nil); err != nil {
		r.cfg.Log.Warn("cannot close the incident the bench opened", "incident", id, "err", err)
	}
}

// api makes one request to vigie's API and decodes the answer into out.
func (r *alarmRun) api(ctx context.Context, method, path string, body []byte, want int, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, r.cfg.Server+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+r.cfg.AdminKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := r.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("vigie API: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("vigie API %s %s: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("vigie API %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("vigie API %s %s: %w", method, path, err)
		}
	}
	return nil
}

// mailSummary is the part of a Mailpit message summary the bench reads.
// Created is when Mailpit stored the message, before it answered the end
// of DATA, to the millisecond.
type mailSummary struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	Created   time.Time `json:"Created"`
}

// messages lists the newest messages in Mailpit, enough to hold one
// alarm's e-mails and a margin.
func (r *alarmRun) messages(ctx context.Context) ([]mailSummary, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	limit := 2*r.cfg.Contacts + 50
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.cfg.Mailpit+"/api/v1/messages?limit="+strconv.Itoa(limit), nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.mail.Do(req)
	if err != nil {
		return nil, fmt.Errorf("Mailpit API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("Mailpit API: %s", resp.Status)
	}
	var out struct {
		Messages []mailSummary `json:"messages"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("Mailpit API: %w", err)
	}
	return out.Messages, nil
}

// mailIDs is the set of the newest messages' Mailpit ids.
func (r *alarmRun) mailIDs(ctx context.Context) (map[string]bool, error) {
	list, err := r.messages(ctx)
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(list))
	for _, m := range list {
		ids[m.ID] = true
	}
	return ids, nil
}

// SiteOrder is the sites for n alarms: the given sites in turn.
func SiteOrder(sites []AlarmSite, n int) []AlarmSite {
	if len(sites) == 0 {
		return nil
	}
	out := make([]AlarmSite, 0, max(n, 0))
	for i := range max(n, 0) {
		out = append(out, sites[i%len(sites)])
	}
	return out
}
