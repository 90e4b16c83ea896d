package alarm

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

const (
	hookName   = "arc-nord"
	hookSecret = "s3cr3t-arc-nord-0123456789abcdef"
	hookSite   = "poste-joliette"
	hookBody   = `{"site":"poste-joliette","kind":"holdup","occurred_at":"2026-11-28T14:02:00Z",` +
		`"idempotency_key":"arc-123456","details":{"zone":"015","verification_url":"https://vms.example/ev/42"}}`
)

// hookNow is the receiver's clock in these tests.
var hookNow = time.Date(2026, 11, 28, 14, 2, 30, 0, time.UTC)

// fakeOpener records events and opens one incident per opening key; a key
// seen before gets its first answer back, marked duplicate.
type fakeOpener struct {
	mu     sync.Mutex
	events []Event
	byKey  map[string]WebhookResult
	fail   error
}

func (o *fakeOpener) WebhookAlarm(ctx context.Context, e Event) (WebhookResult, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.events = append(o.events, e)
	if o.fail != nil {
		return WebhookResult{}, o.fail
	}
	if r, ok := o.byKey[e.DedupeKey]; ok {
		r.Opened, r.Duplicate = false, true
		return r, nil
	}
	var r WebhookResult
	if e.Opens {
		r = WebhookResult{Incident: "i_42", OperatorURL: "https://vigie.example/op/i_42", Opened: true}
	}
	if o.byKey == nil {
		o.byKey = map[string]WebhookResult{}
	}
	o.byKey[e.DedupeKey] = r
	return r, nil
}

func (o *fakeOpener) received() []Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Event(nil), o.events...)
}

// lockedBuffer is a log destination the handler and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newHook(o WebhookOpener, log io.Writer) *Webhook {
	return &Webhook{
		Integrations: []WebhookIntegration{{Name: hookName, Secret: hookSecret}, {Name: "arc-sud", Secret: strings.Repeat("z", 40)}},
		Opener:       o,
		Sites:        func(id string) bool { return id == hookSite || id == "site-en-panne" },
		Now:          func() time.Time { return hookNow },
		Log:          slog.New(slog.NewTextHandler(log, nil)),
	}
}

// hookServer serves w over real HTTP for one test.
func hookServer(t *testing.T, w *Webhook) string {
	t.Helper()
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	return srv.URL + "/api/v1/alarms"
}

func sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// hookRequest is one request as a sender builds it.
type hookRequest struct {
	body        string
	integration string    // default hookName
	secret      string    // default hookSecret
	at          time.Time // the timestamp; default hookNow
	tamper      string    // sent instead of body, signed as body
}

func (q hookRequest) build(t *testing.T, url string) *http.Request {
	t.Helper()
	name, secret, at := cmp.Or(q.integration, hookName), cmp.Or(q.secret, hookSecret), q.at
	if at.IsZero() {
		at = hookNow
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	sent := cmp.Or(q.tamper, q.body)
	r, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(sent))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(headerIntegration, name)
	r.Header.Set(headerTimestamp, ts)
	r.Header.Set(headerSignature, sign(secret, ts, []byte(q.body)))
	return r
}

// hookReply is an answer, decoded.
type hookReply struct {
	status int
	answer webhookAnswer
	err    webhookError
	raw    string
}

func send(t *testing.T, r *http.Request) hookReply {
	t.Helper()
	rep, err := do(r)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// do sends r and decodes the answer strictly.
func do(r *http.Request) (hookReply, error) {
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return hookReply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return hookReply{}, err
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return hookReply{}, fmt.Errorf("answer %d: Content-Type %q", resp.StatusCode, ct)
	}
	rep := hookReply{status: resp.StatusCode, raw: string(b)}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if resp.StatusCode < 300 {
		err = dec.Decode(&rep.answer)
	} else {
		err = dec.Decode(&rep.err)
	}
	if err != nil {
		return hookReply{}, fmt.Errorf("answer %d %q: %v", resp.StatusCode, b, err)
	}
	return rep, nil
}

func TestWebhookGoodAlarm(t *testing.T) {
	o := &fakeOpener{}
	url := hookServer(t, newHook(o, io.Discard))
	rep := send(t, hookRequest{body: hookBody}.build(t, url))
	want := webhookAnswer{Incident: "i_42", OperatorURL: "https://vigie.example/op/i_42", Opened: true}
	if rep.status != http.StatusCreated || rep.answer != want {
		t.Fatalf("got %d %s, want 201 %+v", rep.status, rep.raw, want)
	}
	ev := o.received()
	if len(ev) != 1 {
		t.Fatalf("%d events, want 1", len(ev))
	}
	e := ev[0]
	occurred := time.Date(2026, 11, 28, 14, 2, 0, 0, time.UTC)
	if e.Site != hookSite || e.Kind != KindHoldup || !e.Opens || e.Source != "webhook:arc-nord" ||
		!e.OccurredAt.Equal(occurred) || !e.ReceivedAt.Equal(hookNow) || e.Code != "webhook holdup" ||
		e.Raw != hookBody || e.DedupeKey != "webhook/arc-nord/arc-123456" || e.Account != "" {
		t.Errorf("event %+v", e)
	}
	if len(e.Extras) != 2 || e.Extras["zone"] != "015" || e.Extras["verification_url"] != "https://vms.example/ev/42" {
		t.Errorf("Extras %v", e.Extras)
	}
}

// TestWebhookSignatureVector pins the example of the protocol's description.
func TestWebhookSignatureVector(t *testing.T) {
	body := []byte(`{"site":"poste-joliette","kind":"holdup","idempotency_key":"arc-123456"}`)
	const want = "sha256=5303778208e70b632b4c015c150df22ee0f1e376f4002e548f4052347fc3e590"
	if got := sign("s3cr3t-arc-nord-0123456789abcdef", "1795874520", body); got != want {
		t.Fatalf("signature %s, want %s", got, want)
	}
	s := newHook(&fakeOpener{}, io.Discard).ready()
	if _, ref := s.verify(hookName, "1795874520", want, body); ref != nil {
		t.Errorf("refused: %+v", ref)
	}
}

func TestWebhookRefusals(t *testing.T) {
	body := func(s string) string {
		return `{"site":"poste-joliette","kind":"panic","idempotency_key":"k1"` + s + `}`
	}
	tests := []struct {
		name   string
		req    hookRequest
		status int
		code   string
		msg    string // part of the message
	}{
		{"signed with the wrong secret", hookRequest{body: body(""), secret: strings.Repeat("x", 32)}, 401, "bad_signature", "does not match"},
		{"tampered body", hookRequest{body: hookBody, tamper: strings.Replace(hookBody, "015", "016", 1)}, 401, "bad_signature", "does not match"},
		{"unknown integration", hookRequest{body: body(""), integration: "arc-est"}, 401, "bad_signature", "does not match"},
		{"other integration's secret", hookRequest{body: body(""), secret: strings.Repeat("z", 40)}, 401, "bad_signature", "does not match"},
		{"6 min old", hookRequest{body: body(""), at: hookNow.Add(-6 * time.Minute)}, 401, "stale_timestamp", "is 6m0s from"},
		{"6 min ahead", hookRequest{body: body(""), at: hookNow.Add(6 * time.Minute)}, 401, "stale_timestamp", "check the sender's clock"},
		{"unknown site", hookRequest{body: `{"site":"poste-inconnu","kind":"panic","idempotency_key":"k1"}`}, 404, "unknown_site", `"poste-inconnu"`},
		{"unknown field", hookRequest{body: body(`,"zone":"015"`)}, 400, "bad_request", `unknown field "zone"`},
		{"bad kind", hookRequest{body: `{"site":"poste-joliette","kind":"fire","idempotency_key":"k1"}`}, 400, "bad_request", `kind "fire"`},
		{"no kind", hookRequest{body: `{"site":"poste-joliette","idempotency_key":"k1"}`}, 400, "bad_request", `kind ""`},
		{"no idempotency key", hookRequest{body: `{"site":"poste-joliette","kind":"panic"}`}, 400, "bad_request", "idempotency_key is required"},
		{"idempotency key too long", hookRequest{body: `{"site":"poste-joliette","kind":"panic","idempotency_key":"` + strings.Repeat("k", 129) + `"}`}, 400, "bad_request", "idempotency_key"},
		{"idempotency key not printable", hookRequest{body: `{"site":"poste-joliette","kind":"panic","idempotency_key":"a\tb"}`}, 400, "bad_request", "idempotency_key"},
		{"no site", hookRequest{body: `{"kind":"panic","idempotency_key":"k1"}`}, 400, "bad_request", "site is required"},
		{"bad occurred_at", hookRequest{body: body(`,"occurred_at":"28/11/2026 14:02"`)}, 400, "bad_request", "RFC 3339"},
		{"number in details", hookRequest{body: body(`,"details":{"zone":15}`)}, 400, "bad_request", "values are all strings"},
		{"33 details", hookRequest{body: body(`,"details":{` + manyDetails(33) + `}`)}, 400, "bad_request", "33 entries"},
		{"not JSON", hookRequest{body: "site=poste-joliette"}, 400, "bad_request", "not valid JSON"},
		{"an array", hookRequest{body: "[]"}, 400, "bad_request", "JSON object"},
		{"empty body", hookRequest{body: " "}, 400, "bad_request", "empty"},
		{"two objects", hookRequest{body: body("") + body("")}, 400, "bad_request", "more after"},
		{"70 KiB body", hookRequest{body: body(`,"details":{"text":"` + strings.Repeat("a", 70<<10) + `"}`)}, 413, "too_large", "64 KiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &fakeOpener{}
			url := hookServer(t, newHook(o, io.Discard))
			rep := send(t, tt.req.build(t, url))
			if rep.status != tt.status || rep.err.Error.Code != tt.code || !strings.Contains(rep.err.Error.Message, tt.msg) {
				t.Errorf("got %d %s, want %d %s with %q", rep.status, rep.raw, tt.status, tt.code, tt.msg)
			}
			if ev := o.received(); len(ev) != 0 {
				t.Errorf("the opener got %d events", len(ev))
			}
		})
	}
}

func manyDetails(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"k` + strconv.Itoa(i) + `":"v"`
	}
	return strings.Join(parts, ",")
}

func TestWebhookHeaders(t *testing.T) {
	good := func(t *testing.T, url string) *http.Request { return hookRequest{body: hookBody}.build(t, url) }
	tests := []struct {
		name   string
		edit   func(r *http.Request)
		status int
		code   string
	}{
		{"no signature", func(r *http.Request) { r.Header.Del(headerSignature) }, 401, "bad_signature"},
		{"no integration", func(r *http.Request) { r.Header.Del(headerIntegration) }, 401, "bad_signature"},
		{"no timestamp", func(r *http.Request) { r.Header.Del(headerTimestamp) }, 401, "bad_signature"},
		{"signature without prefix", func(r *http.Request) {
			r.Header.Set(headerSignature, strings.TrimPrefix(r.Header.Get(headerSignature), "sha256="))
		}, 401, "bad_signature"},
		{"signature cut short", func(r *http.Request) { r.Header.Set(headerSignature, r.Header.Get(headerSignature)[:70]) }, 401, "bad_signature"},
		{"signature in upper case", func(r *http.Request) {
			r.Header.Set(headerSignature, "sha256="+strings.ToUpper(strings.TrimPrefix(r.Header.Get(headerSignature), "sha256=")))
		}, 201, ""},
		{"timestamp in milliseconds", func(r *http.Request) {
			ts := r.Header.Get(headerTimestamp) + "000"
			r.Header.Set(headerTimestamp, ts)
			r.Header.Set(headerSignature, sign(hookSecret, ts, []byte(hookBody)))
		}, 401, "stale_timestamp"},
		{"timestamp with a sign", func(r *http.Request) {
			ts := "+" + r.Header.Get(headerTimestamp)
			r.Header.Set(headerTimestamp, ts)
			r.Header.Set(headerSignature, sign(hookSecret, ts, []byte(hookBody)))
		}, 401, "stale_timestamp"},
		{"text/plain", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 400, "bad_request"},
		{"charset", func(r *http.Request) { r.Header.Set("Content-Type", "application/json; charset=utf-8") }, 201, ""},
		{"GET", func(r *http.Request) { r.Method = http.MethodGet }, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &fakeOpener{}
			url := hookServer(t, newHook(o, io.Discard))
			r := good(t, url)
			tt.edit(r)
			rep := send(t, r)
			if rep.status != tt.status || rep.err.Error.Code != tt.code {
				t.Errorf("got %d %s, want %d %q", rep.status, rep.raw, tt.status, tt.code)
			}
		})
	}
}

func TestWebhookWindowEdges(t *testing.T) {
	o := &fakeOpener{}
	url := hookServer(t, newHook(o, io.Discard))
	for i, at := range []time.Time{hookNow.Add(-5 * time.Minute), hookNow.Add(5 * time.Minute)} {
		body := `{"site":"poste-joliette","kind":"test","idempotency_key":"edge-` + strconv.Itoa(i) + `"}`
		if rep := send(t, hookRequest{body: body, at: at}.build(t, url)); rep.status != http.StatusOK {
			t.Errorf("timestamp %s: got %d %s, want 200", at.Sub(hookNow), rep.status, rep.raw)
		}
	}
}

func TestWebhookRetries(t *testing.T) {
	o := &fakeOpener{}
	url := hookServer(t, newHook(o, io.Discard))
	first := hookRequest{body: hookBody, at: hookNow.Add(-time.Minute)}
	if rep := send(t, first.build(t, url)); rep.status != http.StatusCreated {
		t.Fatalf("first: %d %s", rep.status, rep.raw)
	}
	dup := webhookAnswer{Incident: "i_42", OperatorURL: "https://vigie.example/op/i_42", Duplicate: true}

	// The sender's retry: same key, new timestamp and signature.
	rep := send(t, hookRequest{body: hookBody}.build(t, url))
	if rep.status != http.StatusOK || rep.answer != dup {
		t.Errorf("retry: got %d %s, want 200 %+v", rep.status, rep.raw, dup)
	}
	if n := len(o.received()); n != 2 {
		t.Errorf("the opener got %d events, want 2 (it dedupes the retry)", n)
	}

	// The very same request again: answered from memory, the opener not asked.
	rep = send(t, first.build(t, url))
	if rep.status != http.StatusOK || rep.answer != dup {
		t.Errorf("replay: got %d %s, want 200 %+v", rep.status, rep.raw, dup)
	}
	if n := len(o.received()); n != 2 {
		t.Errorf("the opener got %d events after the replay, want 2", n)
	}
}

// TestWebhookReplayedSignature: a remembered signature that came with
// another idempotency key is refused. HMAC makes this a forgery; the test
// plants the memory.
func TestWebhookReplayedSignature(t *testing.T) {
	o := &fakeOpener{}
	w := newHook(o, io.Discard)
	url := hookServer(t, w)
	req := hookRequest{body: hookBody}
	if rep := send(t, req.build(t, url)); rep.status != http.StatusCreated {
		t.Fatalf("first: %d %s", rep.status, rep.raw)
	}
	r := req.build(t, url)
	mac, _ := hex.DecodeString(strings.TrimPrefix(r.Header.Get(headerSignature), "sha256="))
	w.ready().seen.add(hookName+"\x00"+string(mac), seenRequest{key: "webhook/arc-nord/other", until: hookNow.Add(time.Minute)})
	if rep := send(t, r); rep.status != http.StatusConflict || rep.err.Error.Code != "replayed" {
		t.Errorf("got %d %s, want 409 replayed", rep.status, rep.raw)
	}
}

func TestWebhookConcurrentRetries(t *testing.T) {
	o := &fakeOpener{}
	url := hookServer(t, newHook(o, io.Discard))
	const n = 8
	statuses := make(chan hookReply, n)
	var wg sync.WaitGroup
	for i := range n {
		req := hookRequest{body: hookBody, at: hookNow.Add(-time.Duration(i) * time.Second)}.build(t, url)
		wg.Go(func() {
			rep, err := do(req)
			if err != nil {
				t.Error(err)
			}
			statuses <- rep
		})
	}
	wg.Wait()
	close(statuses)
	created := 0
	for rep := range statuses {
		if rep.status == http.StatusCreated {
			created++
		}
		if rep.answer.Incident != "i_42" {
			t.Errorf("got %d %s, want incident i_42", rep.status, rep.raw)
		}
	}
	if created != 1 {
		t.Errorf("%d answers 201, want 1", created)
	}
}

func TestWebhookKinds(t *testing.T) {
	tests := []struct {
		kind   string
		opens  bool
		status int
	}{
		{KindHoldup, true, 201}, {KindPanic, true, 201}, {KindDuress, true, 201}, {KindEmergency, true, 201},
		{KindRestore, false, 200}, {KindTest, false, 200}, {KindOther, false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			o := &fakeOpener{}
			url := hookServer(t, newHook(o, io.Discard))
			rep := send(t, hookRequest{body: `{"site":"poste-joliette","kind":"` + tt.kind + `","idempotency_key":"k"}`}.build(t, url))
			if rep.status != tt.status || rep.answer.Opened != tt.opens || (rep.answer.Incident == "") == tt.opens {
				t.Errorf("got %d %s", rep.status, rep.raw)
			}
			ev := o.received()
			if len(ev) != 1 || ev[0].Opens != tt.opens || ev[0].Kind != tt.kind || ev[0].Code != "webhook "+tt.kind {
				t.Fatalf("events %+v", ev)
			}
			if !ev[0].OccurredAt.Equal(hookNow) {
				t.Errorf("OccurredAt %v, want the reception time", ev[0].OccurredAt)
			}
		})
	}
}

func TestWebhookOpenerError(t *testing.T) {
	logs := &lockedBuffer{}
	o := &fakeOpener{fail: errors.New("store: database is locked (/var/lib/vigie/vigie.db)")}
	url := hookServer(t, newHook(o, logs))
	rep := send(t, hookRequest{body: hookBody}.build(t, url))
	if rep.status != http.StatusInternalServerError || rep.err.Error.Code != "internal" {
		t.Fatalf("got %d %s, want 500 internal", rep.status, rep.raw)
	}
	if strings.Contains(rep.raw, "database") || strings.Contains(rep.raw, "vigie.db") {
		t.Errorf("the answer tells the internal error: %s", rep.raw)
	}
	if !strings.Contains(logs.String(), "database is locked") {
		t.Errorf("the error is not logged: %s", logs.String())
	}
	// Nothing was remembered: the same request, sent again, reaches the opener.
	o.mu.Lock()
	o.fail = nil
	o.mu.Unlock()
	if rep := send(t, hookRequest{body: hookBody}.build(t, url)); rep.status != http.StatusCreated {
		t.Errorf("after the failure: got %d %s, want 201", rep.status, rep.raw)
	}
}

func TestWebhookDisabledIntegrations(t *testing.T) {
	logs := &lockedBuffer{}
	o := &fakeOpener{}
	w := newHook(o, logs)
	w.Integrations = []WebhookIntegration{
		{Name: "arc-court", Secret: "trop-court"},
		{Name: hookName, Secret: hookSecret},
		{Name: hookName, Secret: strings.Repeat("y", 32)},
		{Name: "arc/est", Secret: strings.Repeat("y", 32)},
	}
	url := hookServer(t, w)
	short := strings.Replace(hookBody, "arc-123456", "k2", 1)
	if rep := send(t, hookRequest{body: short, integration: "arc-court", secret: "trop-court"}.build(t, url)); rep.status != 401 {
		t.Errorf("short secret: got %d %s, want 401", rep.status, rep.raw)
	}
	if rep := send(t, hookRequest{body: short, secret: strings.Repeat("y", 32)}.build(t, url)); rep.status != 401 {
		t.Errorf("second secret of a name: got %d %s, want 401", rep.status, rep.raw)
	}
	if rep := send(t, hookRequest{body: hookBody}.build(t, url)); rep.status != 201 {
		t.Errorf("first integration of a name: got %d %s, want 201", rep.status, rep.raw)
	}
	for _, want := range []string{"arc-court", "at least 32", "already used", "arc/est"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestSeenSignatures(t *testing.T) {
	c := newSeenSignatures(2)
	c.add("a", seenRequest{key: "ka", until: hookNow})
	if r, ok := c.lookup("a", hookNow); !ok || r.key != "ka" {
		t.Error("a forgotten within its window")
	}
	if _, ok := c.lookup("a", hookNow.Add(time.Second)); ok {
		t.Error("a remembered after its window")
	}
	c.add("a", seenRequest{key: "ka2", until: hookNow}) // again: no new place taken
	c.add("b", seenRequest{until: hookNow})
	if r, ok := c.lookup("a", hookNow); !ok || r.key != "ka2" {
		t.Errorf("a: %+v %v, want ka2", r, ok)
	}
	c.add("c", seenRequest{until: hookNow})
	c.add("d", seenRequest{until: hookNow})
	for id, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true} {
		if _, ok := c.lookup(id, hookNow); ok != want {
			t.Errorf("%s remembered: %v, want %v", id, ok, want)
		}
	}
	if len(c.byID) != 2 || len(c.ring) != 2 {
		t.Errorf("%d remembered in a ring of %d, want 2 and 2", len(c.byID), len(c.ring))
	}
}

func TestRawOf(t *testing.T) {
	long := strings.Repeat("é", 3000) // 6000 bytes
	if r := rawOf([]byte(long)); len(r) != 4096 || !utf8.ValidString(r) {
		t.Errorf("rawOf: %d bytes, valid %v", len(r), utf8.ValidString(r))
	}
	if r := rawOf([]byte("a\xffb")); r != "a\uFFFDb" {
		t.Errorf("rawOf: %q", r)
	}
}

func FuzzWebhook(f *testing.F) {
	ts := strconv.FormatInt(hookNow.Unix(), 10)
	f.Add([]byte(hookBody), hookName, ts, "", true)
	f.Add([]byte(hookBody), hookName, ts, "sha256=00", false)
	f.Add([]byte(`{"site":"site-en-panne","kind":"panic","idempotency_key":"k"}`), hookName, ts, "", true)
	f.Add([]byte(`{"site":"poste-joliette","kind":"restore","idempotency_key":"k","details":{"a":"b"}}`), "arc-sud", ts, "", true)
	f.Add([]byte(`{"site":"x","kind":"panic","idempotency_key":"k","occurred_at":"2026-11-28T14:02:00+01:00"}`), hookName, ts, "", true)
	f.Add([]byte(`[{"site":1}]`), hookName, "", "", true)
	f.Add([]byte("{\"site\":\"poste-joliette\xff\",\"kind\":\"panic\",\"idempotency_key\":\"k\"}"), hookName, ts, "", true)
	f.Fuzz(func(t *testing.T, body []byte, integration, timestamp, signature string, signIt bool) {
		o := &fakeOpener{}
		w := newHook(o, io.Discard)
		opener := &failingSite{fakeOpener: o}
		w.Opener = opener
		if signIt {
			secret := hookSecret
			if integration == "arc-sud" {
				secret = strings.Repeat("z", 40)
			}
			signature = sign(secret, timestamp, body)
		}
		r := httptest.NewRequest(http.MethodPost, "/api/v1/alarms", bytes.NewReader(body))
		for h, v := range map[string]string{headerIntegration: integration, headerTimestamp: timestamp, headerSignature: signature} {
			r.Header[h] = []string{v}
		}
		rec := httptest.NewRecorder()
		w.ServeHTTP(rec, r)
		checkFuzzAnswer(t, rec, opener)
	})
}

// failingSite fails the alarms of "site-en-panne".
type failingSite struct {
	*fakeOpener
	mu     sync.Mutex
	failed int
}

func (o *failingSite) WebhookAlarm(ctx context.Context, e Event) (WebhookResult, error) {
	if e.Site == "site-en-panne" {
		o.mu.Lock()
		o.failed++
		o.mu.Unlock()
		return WebhookResult{}, errors.New("disk full")
	}
	return o.fakeOpener.WebhookAlarm(ctx, e)
}

func checkFuzzAnswer(t *testing.T, rec *httptest.ResponseRecorder, o *failingSite) {
	t.Helper()
	status, b := rec.Code, rec.Body.Bytes()
	if status >= 500 && (o.failed == 0 || status != 500) {
		t.Fatalf("%d without an opener failure: %s", status, b)
	}
	if status >= 300 {
		var e webhookError
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%d: error body %q: %v", status, b, err)
		}
	} else if status != 200 && status != 201 {
		t.Fatalf("status %d", status)
	}
	for _, e := range o.received() {
		if _, ok := kindOpens(e.Kind); !ok || e.Site == "" || len(e.Raw) > 4096 || !utf8.ValidString(e.Raw) ||
			len(e.Extras) > 32 || !strings.HasPrefix(e.DedupeKey, "webhook/"+strings.TrimPrefix(e.Source, "webhook:")+"/") ||
			e.ReceivedAt != hookNow || e.OccurredAt.IsZero() {
			t.Fatalf("event %+v", e)
		}
	}
}
