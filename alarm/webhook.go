// The alarm webhook
//
// A monitoring centre's software (or any system that raises alarms) sends
// one alarm for a site; vigie opens the incident, or joins the one already
// open for that site, and answers with the incident's id and the operator's
// link to its room.
//
// Each sender is an integration in vigie's configuration: a name, such as
// "arc-nord", and a shared secret of at least 32 characters. Its alarms show
// in the timeline with the source "webhook:arc-nord".
//
// # Request
//
//	POST /api/v1/alarms
//	Content-Type: application/json
//	X-Vigie-Integration: arc-nord
//	X-Vigie-Timestamp: 1795874520
//	X-Vigie-Signature: sha256=<64 hex digits>
//
//	{"site": "poste-joliette", "kind": "holdup", "occurred_at": "2026-11-28T14:02:00Z",
//	 "idempotency_key": "arc-123456",
//	 "details": {"zone": "015", "verification_url": "https://vms.example/ev/42"}}
//
// X-Vigie-Timestamp is the sender's clock in Unix seconds; it must be within
// 5 minutes (the configured window) of vigie's clock, either way: keep both
// clocks on NTP. X-Vigie-Signature is "sha256=" and the hex HMAC-SHA256,
// keyed with the integration's secret, of the timestamp, a ".", and the body
// exactly as sent:
//
//	HMAC-SHA256(secret, "1795874520" + "." + body)
//
// The body is a JSON object of at most 64 KiB; a field not listed here is
// refused, so a misspelt one is not silently lost.
//
//	site             required: the site's id in vigie's configuration
//	kind             required: holdup, panic, duress or emergency open (or
//	                 join) the site's incident; restore, test and other go
//	                 on the timeline of an open incident and never open one
//	occurred_at      optional: when it happened, RFC 3339; else when vigie
//	                 received it
//	idempotency_key  required: the sender's own id for this alarm, 1 to 128
//	                 printable ASCII characters, the same on every retry
//	details          optional: at most 32 entries, string values only, shown
//	                 with the alarm ("zone", "verification_url", "text"...)
//
// # Answers
//
// Every answer is JSON. On success:
//
//	{"incident": "i_...", "operator_url": "https://...", "opened": true, "duplicate": false}
//
//	201  this alarm opened the incident
//	200  it joined an open incident, went on a timeline, or is a retry
//	     ("duplicate": true, "opened": false); "incident" and "operator_url"
//	     are "" when the alarm concerns no incident (a restore on a quiet site)
//
// On failure, {"error": {"code": "...", "message": "..."}}:
//
//	400  bad_request      the body is not JSON, has an unknown field, a bad
//	                      kind or occurred_at, or no idempotency_key
//	401  bad_signature    unknown integration, missing or wrong signature
//	401  stale_timestamp  the timestamp is outside the window
//	404  unknown_site     the site is not in vigie's configuration
//	405  method_not_allowed
//	409  replayed         this signature was already used for another alarm
//	413  too_large        the body is over 64 KiB
//	500  internal         the alarm could not be stored: send it again
//
// # Retries
//
// Send again on a 5xx answer or when no answer came, with the same
// idempotency_key, signed afresh with the current timestamp. The same key
// always gives the same incident; vigie acts on it once and answers the
// retries 200 with "duplicate": true. Resending the very same request within
// the window is a retry too. A 4xx answer does not change by itself: fix the
// request or the configuration first.
//
// # Example
//
//	body='{"site":"poste-joliette","kind":"holdup","idempotency_key":"arc-123456"}'
//	ts=$(date +%s)
//	sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')
//	curl https://vigie.example/api/v1/alarms -H 'Content-Type: application/json' \
//	  -H 'X-Vigie-Integration: arc-nord' -H "X-Vigie-Timestamp: $ts" \
//	  -H "X-Vigie-Signature: sha256=$sig" --data-binary "$body"
//
// With the secret "s3cr3t-arc-nord-0123456789abcdef", the timestamp
// 1795874520 and the body above, the signature is
// sha256=5303778208e70b632b4c015c150df22ee0f1e376f4002e548f4052347fc3e590.

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
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Request headers of the webhook.
const (
	headerIntegration = "X-Vigie-Integration"
	headerTimestamp   = "X-Vigie-Timestamp"
	headerSignature   = "X-Vigie-Signature"
)

const (
	webhookMaxBody    = 64 << 10         // bytes of a request body
	webhookMaxRaw     = 4 << 10          // bytes of the body kept as Event.Raw
	webhookMaxDetails = 32               // entries of "details"
	webhookMaxKey     = 128              // characters of an idempotency key
	webhookMinSecret  = 32               // characters of an integration's secret
	webhookSeenSize   = 10000            // signatures remembered against replays
	webhookTimeout    = 15 * time.Second // for the opener to store and act
	webhookWindow     = 5 * time.Minute  // default accepted clock skew
	signaturePrefix   = "sha256="
)

// WebhookResult is what an alarm did.
type WebhookResult struct {
	Incident    string // "" when the alarm opened no incident (e.g. a restore on a quiet site)
	OperatorURL string // the operator's link to the incident room ("" without incident)
	Opened      bool   // this alarm opened the incident
	Duplicate   bool   // the same idempotency key was seen: same answer, nothing done again
}

// WebhookOpener stores the webhook's alarms and acts on them.
type WebhookOpener interface {
	// WebhookAlarm stores the event (durably) and acts on it, as Sink.Alarm
	// does, and says what it did. The same DedupeKey must give the same
	// Incident.
	WebhookAlarm(ctx context.Context, e Event) (WebhookResult, error)
}

// WebhookIntegration is one sender of the webhook.
type WebhookIntegration struct {
	Name   string // e.g. "arc-nord"; shows as Source "webhook:arc-nord"
	Secret string // shared HMAC secret, at least 32 characters
}

// Webhook receives alarms over HTTP, mounted at POST /api/v1/alarms; the
// protocol is described at the top of this file. Set the fields before the
// first request and leave them alone afterwards. An integration with an
// empty or ill-formed name, a name already used, or a secret shorter than 32
// characters is disabled (logged at the first request): its requests are
// refused as unsigned.
type Webhook struct {
	Integrations []WebhookIntegration
	Opener       WebhookOpener
	Sites        func(id string) bool // does the site exist
	Window       time.Duration        // accepted clock skew, default 5 min
	Now          func() time.Time
	Log          *slog.Logger

	once  sync.Once
	setup *webhookSetup
}

// webhookSetup is the Webhook's configuration checked, built at the first
// request, and its memory of signatures.
type webhookSetup struct {
	secrets map[string][]byte // by integration name, enabled integrations only
	window  time.Duration
	now     func() time.Time
	log     *slog.Logger
	seen    *seenSignatures
}

func (w *Webhook) ready() *webhookSetup {
	w.once.Do(func() { w.setup = newWebhookSetup(w) })
	return w.setup
}

func newWebhookSetup(w *Webhook) *webhookSetup {
	s := &webhookSetup{
		secrets: make(map[string][]byte, len(w.Integrations)),
		window:  w.Window, now: w.Now, log: w.Log,
		seen: newSeenSignatures(webhookSeenSize),
	}
	if s.window <= 0 {
		s.window = webhookWindow
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i, in := range w.Integrations {
		if problem := s.integrationProblem(in); problem != "" {
			s.log.Error("webhook: integration disabled", "index", i, "integration", in.Name, "reason", problem)
			continue
		}
		s.secrets[in.Name] = []byte(in.Secret)
	}
	if w.Opener == nil {
		s.log.Error("webhook: no opener; every alarm is answered 500")
	}
	if w.Sites == nil {
		s.log.Error("webhook: no site list; every alarm is refused as for an unknown site")
	}
	return s
}

// integrationProblem says what is wrong with an integration, "" when nothing.
func (s *webhookSetup) integrationProblem(in WebhookIntegration) string {
	switch {
	case in.Name == "":
		return "no name"
	case len(in.Name) > 64 || !printableASCII(in.Name) || strings.ContainsAny(in.Name, " /"):
		return "the name must be 1 to 64 visible ASCII characters without \"/\""
	case s.secrets[in.Name] != nil:
		return "the name is already used by another integration"
	case len(in.Secret) < webhookMinSecret:
		return fmt.Sprintf("the secret has %d characters; at least %d are needed", len(in.Secret), webhookMinSecret)
	}
	return ""
}

// webhookRefusal is a request refused: the status and error code, a message
// for the sender and, for the log, the reason when it says more.
type webhookRefusal struct {
	status  int
	code    string
	message string
	reason  string
}

func refuse(status int, code, message string) *webhookRefusal {
	return &webhookRefusal{status: status, code: code, message: message}
}

// webhookAlarm is a request that passed its checks.
type webhookAlarm struct {
	event Event
	mac   string    // the integration's name and the signature, as remembered
	until time.Time // when the signature stops passing the timestamp check
}

// ServeHTTP answers one alarm.
func (w *Webhook) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s := w.ready()
	log := s.log.With("integration", short(r.Header.Get(headerIntegration)), "peer", r.RemoteAddr)
	if r.Method != http.MethodPost {
		rw.Header().Set("Allow", http.MethodPost)
		writeRefusal(rw, log, refuse(http.StatusMethodNotAllowed, "method_not_allowed", "use POST"))
		return
	}
	a, ref := w.check(rw, r, s)
	if ref != nil {
		writeRefusal(rw, log, ref)
		return
	}
	e := a.event
	log = log.With("site", e.Site, "kind", e.Kind, "key", e.DedupeKey)
	if prev, ok := s.seen.lookup(a.mac, e.ReceivedAt); ok {
		if prev.key != e.DedupeKey {
			writeRefusal(rw, log, refuse(http.StatusConflict, "replayed",
				"this signature was already used for another alarm: sign each request with the current timestamp"))
			return
		}
		log.Info("webhook: request sent again; same answer", "incident", prev.result.Incident)
		prev.result.Opened, prev.result.Duplicate = false, true // as the opener answers a retry
		writeResult(rw, prev.result)
		return
	}
	if w.Sites == nil || !w.Sites(e.Site) {
		writeRefusal(rw, log, refuse(http.StatusNotFound, "unknown_site",
			fmt.Sprintf("site %s is not in vigie's configuration", quoteShort(e.Site))))
		return
	}
	res, err := w.open(e)
	if err != nil {
		log.Error("webhook: alarm not stored; the sender is told to send it again", "err", err)
		writeJSON(rw, http.StatusInternalServerError, errorBody("internal",
			"the alarm could not be stored: send it again with the same idempotency_key"))
		return
	}
	s.seen.add(a.mac, seenRequest{key: e.DedupeKey, until: a.until, result: res})
	log.Info("webhook: alarm", "opens", e.Opens, "incident", res.Incident, "opened", res.Opened, "duplicate", res.Duplicate)
	writeResult(rw, res)
}

// check reads, authenticates and parses a request.
func (w *Webhook) check(rw http.ResponseWriter, r *http.Request, s *webhookSetup) (webhookAlarm, *webhookRefusal) {
	received := s.now()
	name, ts := r.Header.Get(headerIntegration), r.Header.Get(headerTimestamp)
	for _, h := range []string{headerIntegration, headerTimestamp, headerSignature} {
		if r.Header.Get(h) == "" {
			return webhookAlarm{}, refuse(http.StatusUnauthorized, "bad_signature",
				"missing "+h+" header: every request names its integration and is signed over its timestamp and body")
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return webhookAlarm{}, refuse(http.StatusBadRequest, "bad_request",
				fmt.Sprintf("Content-Type %s is not application/json", quoteShort(ct)))
		}
	}
	body, ref := readBody(rw, r)
	if ref != nil {
		return webhookAlarm{}, ref
	}
	mac, ref := s.verify(name, ts, r.Header.Get(headerSignature), body)
	if ref != nil {
		return webhookAlarm{}, ref
	}
	sent, ref := s.checkTime(ts, received)
	if ref != nil {
		return webhookAlarm{}, ref
	}
	e, ref := parseWebhookBody(body)
	if ref != nil {
		return webhookAlarm{}, ref
	}
	e.Source = "webhook:" + name
	e.DedupeKey = "webhook/" + name + "/" + e.DedupeKey
	e.ReceivedAt = received
	if e.OccurredAt.IsZero() {
		e.OccurredAt = received
	}
	return webhookAlarm{event: e, mac: name + "\x00" + string(mac), until: sent.Add(s.window)}, nil
}

// open hands the event to the opener. The work goes on if the sender hangs
// up: an alarm that got this far is stored, and the sender's retry finds it.
func (w *Webhook) open(e Event) (WebhookResult, error) {
	if w.Opener == nil {
		return WebhookResult{}, errors.New("webhook: no opener configured")
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookTimeout)
	defer cancel()
	return w.Opener.WebhookAlarm(ctx, e)
}

func readBody(rw http.ResponseWriter, r *http.Request) ([]byte, *webhookRefusal) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, webhookMaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, refuse(http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("the body is over %d KiB", webhookMaxBody>>10))
	case err != nil:
		ref := refuse(http.StatusBadRequest, "bad_request", "the body could not be read")
		ref.reason = err.Error()
		return nil, ref
	}
	return body, nil
}

// verify checks the signature in constant time and returns it decoded. An
// unknown integration goes through the same steps with a key that never
// matches, and gets the same answer as a wrong signature.
func (s *webhookSetup) verify(name, ts, header string, body []byte) ([]byte, *webhookRefusal) {
	secret, known := s.secrets[name]
	if !known {
		secret = make([]byte, webhookMinSecret)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	want := mac.Sum(nil)
	digits, hasPrefix := strings.CutPrefix(header, signaturePrefix)
	got, err := hex.DecodeString(digits)
	if !hasPrefix || err != nil || len(got) != sha256.Size {
		return nil, refuse(http.StatusUnauthorized, "bad_signature",
			headerSignature+` must be "sha256=" and 64 hex digits`)
	}
	if !hmac.Equal(got, want) || !known {
		ref := refuse(http.StatusUnauthorized, "bad_signature",
			"the signature does not match: check the integration's name and secret, and sign the timestamp, \".\" and the body exactly as sent")
		ref.reason = "wrong signature"
		if !known {
			ref.reason = "unknown or disabled integration"
		}
		return nil, ref
	}
	return got, nil
}

// checkTime parses the timestamp and checks it against the window.
func (s *webhookSetup) checkTime(ts string, now time.Time) (time.Time, *webhookRefusal) {
	digits := len(ts) <= 12 && strings.TrimLeft(ts, "0123456789") == ""
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !digits || err != nil {
		return time.Time{}, refuse(http.StatusUnauthorized, "stale_timestamp",
			fmt.Sprintf("%s %s is not a Unix time in seconds", headerTimestamp, quoteShort(ts)))
	}
	sent := time.Unix(sec, 0)
	if skew := sent.Sub(now); skew > s.window || skew < -s.window {
		return time.Time{}, refuse(http.StatusUnauthorized, "stale_timestamp",
			fmt.Sprintf("%s %d is %s from vigie's clock (%d); at most %s is accepted: check the sender's clock",
				headerTimestamp, sec, skew.Abs().Round(time.Second), now.Unix(), s.window))
	}
	return sent, nil
}

// webhookBody is the JSON body of a request.
type webhookBody struct {
	Site           string            `json:"site"`
	Kind           string            `json:"kind"`
	OccurredAt     string            `json:"occurred_at"`
	IdempotencyKey string            `json:"idempotency_key"`
	Details        map[string]string `json:"details"`
}

// parseWebhookBody reads the body into an Event; its DedupeKey is the bare
// idempotency key.
func parseWebhookBody(body []byte) (Event, *webhookRefusal) {
	bad := func(format string, args ...any) (Event, *webhookRefusal) {
		return Event{}, refuse(http.StatusBadRequest, "bad_request", fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var b webhookBody
	if err := dec.Decode(&b); err != nil {
		return bad("%s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("the body has more after its JSON object")
	}
	if b.Site == "" {
		return bad("site is required")
	}
	opens, ok := kindOpens(b.Kind)
	if !ok {
		return bad("kind %s is not one of holdup, panic, duress, emergency, restore, test, other", quoteShort(b.Kind))
	}
	if n := len(b.IdempotencyKey); n == 0 || n > webhookMaxKey || !printableASCII(b.IdempotencyKey) {
		return bad("idempotency_key is required: 1 to %d printable ASCII characters, the same on every retry of an alarm", webhookMaxKey)
	}
	if len(b.Details) > webhookMaxDetails {
		return bad("details has %d entries; at most %d are accepted", len(b.Details), webhookMaxDetails)
	}
	var occurred time.Time
	if b.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339, b.OccurredAt)
		if err != nil {
			return bad("occurred_at %s is not an RFC 3339 time such as 2026-11-28T14:02:00Z", quoteShort(b.OccurredAt))
		}
		occurred = t
	}
	return Event{
		Site: b.Site, Kind: b.Kind, Opens: opens, OccurredAt: occurred,
		Code: "webhook " + b.Kind, Extras: b.Details, Raw: rawOf(body), DedupeKey: b.IdempotencyKey,
	}, nil
}

// jsonProblem says in plain words why the body did not decode.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the body is empty: send a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the body is not valid JSON: it ends too early"
	case errors.As(err, &syntax):
		return fmt.Sprintf("the body is not valid JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(err.Error(), "json: "))
	case errors.As(err, &typ) && typ.Field == "":
		return "the body must be a JSON object"
	case errors.As(err, &typ) && (typ.Field == "details" || strings.HasPrefix(typ.Field, "details.")):
		return "details must be an object whose values are all strings"
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be a string, not %s", typ.Field, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return strings.TrimPrefix(err.Error(), "json: ") +
			": the fields are site, kind, occurred_at, idempotency_key and details"
	}
	return "the body is not valid JSON"
}

// kindOpens says whether kind opens an incident, and whether it is a kind.
func kindOpens(kind string) (opens, ok bool) {
	switch kind {
	case KindHoldup, KindPanic, KindDuress, KindEmergency:
		return true, true
	case KindRestore, KindTest, KindOther:
		return false, true
	}
	return false, false
}

// rawOf is the body as Event.Raw: valid UTF-8, cut to webhookMaxRaw bytes
// at a character's start.
func rawOf(body []byte) string {
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	if len(s) <= webhookMaxRaw {
		return s
	}
	n := webhookMaxRaw
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// short cuts what a sender wrote to 64 bytes for a message or a log line.
func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// quoteShort quotes s for a message, cut to 64 bytes.
func quoteShort(s string) string { return strconv.Quote(short(s)) }

type webhookAnswer struct {
	Incident    string `json:"incident"`
	OperatorURL string `json:"operator_url"`
	Opened      bool   `json:"opened"`
	Duplicate   bool   `json:"duplicate"`
}

type webhookError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func errorBody(code, message string) webhookError {
	var e webhookError
	e.Error.Code, e.Error.Message = code, message
	return e
}

// writeResult answers 201 when this request opened the incident, else 200.
func writeResult(rw http.ResponseWriter, res WebhookResult) {
	status := http.StatusOK
	if res.Opened && !res.Duplicate {
		status = http.StatusCreated
	}
	writeJSON(rw, status, webhookAnswer{
		Incident: res.Incident, OperatorURL: res.OperatorURL, Opened: res.Opened, Duplicate: res.Duplicate,
	})
}

func writeRefusal(rw http.ResponseWriter, log *slog.Logger, ref *webhookRefusal) {
	log.Warn("webhook: request refused", "status", ref.status, "code", ref.code, "reason", cmp.Or(ref.reason, ref.message))
	writeJSON(rw, ref.status, errorBody(ref.code, ref.message))
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	h := rw.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	_ = json.NewEncoder(rw).Encode(v) // an error here means the sender hung up
}

// seenSignatures remembers the signatures of the requests answered lately,
// with their answer, so that the same request sent again gets the same
// answer without reaching the opener, and its signature cannot carry another
// alarm. Fixed capacity, oldest first out; an entry lasts until its
// timestamp leaves the window.
type seenSignatures struct {
	mu       sync.Mutex
	capacity int
	byID     map[string]seenRequest
	ring     []string // insertion order, grows up to capacity
	next     int      // the oldest, once ring is full
}

type seenRequest struct {
	key    string    // the event's DedupeKey
	until  time.Time // the signature's timestamp plus the window
	result WebhookResult
}

func newSeenSignatures(capacity int) *seenSignatures {
	return &seenSignatures{capacity: capacity, byID: make(map[string]seenRequest)}
}

// lookup returns what was remembered for id, if it has not expired at now.
func (c *seenSignatures) lookup(id string, now time.Time) (seenRequest, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.byID[id]
	return r, ok && !now.After(r.until)
}

// add remembers id, forgetting the oldest one when full.
func (c *seenSignatures) add(id string, r seenRequest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byID[id]; !ok {
		if len(c.ring) < c.capacity {
			c.ring = append(c.ring, id)
		} else {
			delete(c.byID, c.ring[c.next])
			c.ring[c.next] = id
			c.next = (c.next + 1) % c.capacity
		}
	}
	c.byID[id] = r
}
