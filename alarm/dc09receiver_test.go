package alarm

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/alarm/dc09"
)

// Frames of the DC-09 notes (shared/domain/dc09.md), without LF and CR.
const (
	cidPanic   = `1379003B"ADM-CID"0001L0#1234[#1234|1120 01 015]_14:12:04,09-25-2024`
	cidRestore = `BFCC003B"ADM-CID"0002L0#1234[#1234|3120 01 015]_14:12:04,09-25-2024`
	cidDuress  = `BC4B003B"ADM-CID"0003L0#1234[#1234|1121 01 003]_14:12:04,09-25-2024`
	siaPA      = `97AB003C"SIA-DCS"0005R1L1#1234[#1234|Nri1/PA015]_14:12:04,09-25-2024`
	siaHA      = `99280058"SIA-DCS"0006R1L1#1234[#1234|Nri1/HA004][Vhttps://vms.example/ev/42]_14:12:04,09-25-2024`
	nullFrame  = `EF710027"NULL"0000L0#1234[]_14:12:04,09-25-2024`
	ackCID     = `1BC10012"ACK"0001L0#1234[]`
	ackPA      = `1D860014"ACK"0005R1L1#1234[]`
	encPA      = `EF9A0076"*SIA-DCS"0007L0#1234[6C4C72511C5AD31C119875564EE505FBD0D8B397E516A0AE5774730F54E889F15C6777747A8743724FF1DE989E1C4E72`
	vecKey     = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
)

// frameTime is the timestamp of the frames above.
var frameTime = time.Date(2024, 9, 25, 14, 12, 4, 0, time.UTC)

func wire(frame string) string { return "\n" + frame + "\r" }

// frameOf puts CRC and length in front of a body.
func frameOf(body string) string {
	b := []byte(body)
	return strings.ToUpper(hex4(dc09.CRC(b))) + hex4(uint16(len(b))) + body
}

func hex4(v uint16) string {
	const d = "0123456789ABCDEF"
	return string([]byte{d[v>>12], d[v>>8&15], d[v>>4&15], d[v&15]})
}

// recordingSink records events; it fails while fail is set.
type recordingSink struct {
	mu     sync.Mutex
	events []Event
	fail   error
	calls  chan Event
}

func newSink() *recordingSink { return &recordingSink{calls: make(chan Event, 64)} }

func (s *recordingSink) Alarm(ctx context.Context, e Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls <- e
	if s.fail != nil {
		return s.fail
	}
	s.events = append(s.events, e)
	return nil
}

func (s *recordingSink) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *recordingSink) stored() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// start runs a receiver on 127.0.0.1 with a clock fixed at now.
func start(t *testing.T, cfg DC09Config, sink Sink, now time.Time) *DC09Receiver {
	t.Helper()
	cfg.Addr = "127.0.0.1:0"
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	r, err := StartDC09(t.Context(), cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// panel is a TCP client that reads replies with a deadline.
type panel struct {
	t    *testing.T
	conn net.Conn
	rd   *bufio.Reader
}

func dial(t *testing.T, r *DC09Receiver) *panel {
	t.Helper()
	tcp, _ := r.Addr()
	c, err := net.DialTimeout("tcp", tcp.String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &panel{t: t, conn: c, rd: bufio.NewReader(c)}
}

func (p *panel) send(s string) {
	p.t.Helper()
	if _, err := p.conn.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// reply reads one reply, LF to CR.
func (p *panel) reply() string {
	p.t.Helper()
	p.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := p.rd.ReadByte(); err != nil || b != '\n' {
		p.t.Fatalf("reading reply: %q, %v", b, err)
	}
	s, err := p.rd.ReadString('\r')
	if err != nil {
		p.t.Fatalf("reading reply: %v", err)
	}
	return "\n" + s
}

// probe is a link test from account FFF, which every test configures.
const probe = `"NULL"0000#FFF[]`

// noReplyBefore checks that the next reply is the ACK of a link test sent
// now: so the frame sent before got no reply (TCP keeps the order).
func (p *panel) noReplyBefore() {
	p.t.Helper()
	p.send(wire(frameOf(probe)))
	if got, want := p.reply(), wire(frameOf(`"ACK"0000#FFF[]`)); got != want {
		p.t.Fatalf("reply %q, want only the NULL's ACK %q", got, want)
	}
}

func clearAccounts() []Account {
	return []Account{{Number: "1234", Site: "lyon-3-post-office"}, {Number: "FFF", Site: "probe"}}
}

func TestTCPContactIDPanic(t *testing.T) {
	sink := newSink()
	r := start(t, DC09Config{Accounts: clearAccounts()}, sink, frameTime.Add(time.Hour))
	p := dial(t, r)

	p.send(wire(cidPanic))
	if got := p.reply(); got != wire(ackCID) {
		t.Fatalf("ACK %q, want %q", got, wire(ackCID))
	}
	ev := sink.stored()
	if len(ev) != 1 {
		t.Fatalf("%d events, want 1", len(ev))
	}
	e := ev[0]
	want := Event{Site: "lyon-3-post-office", Account: "1234", Kind: KindPanic, Opens: true, Source: "dc09-tcp",
		OccurredAt: frameTime, ReceivedAt: frameTime.Add(time.Hour), Code: "CID 1120 01 015", Zone: "015", Partition: "01",
		Raw: cidPanic, DedupeKey: e.DedupeKey}
	if e.Extras == nil || len(e.Extras) != 0 {
		t.Errorf("Extras %v, want empty", e.Extras)
	}
	e.Extras = nil
	if !equalEvent(e, want) {
		t.Fatalf("event\n got %+v\nwant %+v", e, want)
	}
	if !strings.HasPrefix(e.DedupeKey, "dc09/1234/0001/") {
		t.Errorf("DedupeKey %q", e.DedupeKey)
	}

	// The panel did not get the ACK and sends again: ACK, no second call.
	p.send(wire(cidPanic))
	if got := p.reply(); got != wire(ackCID) {
		t.Fatalf("second ACK %q", got)
	}
	if n := len(sink.stored()); n != 1 {
		t.Fatalf("sink called %d times for one alarm", n)
	}

	p.send(wire(cidRestore))
	p.reply()
	if ev := sink.stored(); len(ev) != 2 || ev[1].Opens || ev[1].Kind != KindRestore || ev[1].Zone != "015" {
		t.Fatalf("restore: %+v", ev[len(ev)-1])
	}
}

func equalEvent(a, b Event) bool {
	a.Extras, b.Extras = nil, nil
	return a.Site == b.Site && a.Account == b.Account && a.Kind == b.Kind && a.Opens == b.Opens && a.Source == b.Source &&
		a.OccurredAt.Equal(b.OccurredAt) && a.ReceivedAt.Equal(b.ReceivedAt) && a.Code == b.Code && a.Zone == b.Zone &&
		a.Partition == b.Partition && a.User == b.User && a.Raw == b.Raw && a.DedupeKey == b.DedupeKey
}

func TestTCPPipelinedFramesAckedInOrder(t *testing.T) {
	sink := newSink()
	r := start(t, DC09Config{Accounts: clearAccounts()}, sink, frameTime)
	p := dial(t, r)
	p.send(wire(cidPanic) + "\x00\x00" + wire(siaPA) + wire(nullFrame))
	for i, want := range []string{ackCID, ackPA, frameOf(`"ACK"0000L0#1234[]`)} {
		if got := p.reply(); got != wire(want) {
			t.Fatalf("reply %d: %q, want %q", i, got, wire(want))
		}
	}
	ev := sink.stored()
	if len(ev) != 2 || ev[0].Code != "CID 1120 01 015" || ev[1].Code != "SIA PA015" || ev[1].Kind != KindPanic || !ev[1].Opens || ev[1].Partition != "1" {
		t.Fatalf("events %+v", ev)
	}
}

func TestTCPSplitFrameAndGarbage(t *testing.T) {
	sink := newSink()
	r := start(t, DC09Config{Accounts: clearAccounts()}, sink, frameTime)
	p := dial(t, r)
	w := wire(siaHA)
	p.send("GET / HTTP/1.0\r\n" + w[:20])
	p.send(w[20:])
	if got := p.reply(); got != wire(frameOf(`"ACK"0006R1L1#1234[]`)) {
		t.Fatalf("ACK %q", got)
	}
	e := sink.stored()[0]
	if e.Kind != KindHoldup || !e.Opens || e.Zone != "004" || e.Extras["verification_url"] != "https://vms.example/ev/42" {
		t.Fatalf("hold-up event %+v", e)
	}
}

func TestTCPSinkErrorMeansNoACK(t *testing.T) {
	sink := newSink()
	r := start(t, DC09Config{Accounts: clearAccounts()}, sink, frameTime)
	p := dial(t, r)
	sink.setFail(errors.New("disk full"))
	p.send(wire(cidDuress))
	<-sink.calls
	sink.setFail(nil)
	p.noReplyBefore()

	// The panel retries; now it is stored and acknowledged.
	p.send(wire(cidDuress))
	if got, want := p.reply(), wire(frameOf(`"ACK"0003L0#1234[]`)); got != want {
		t.Fatalf("ACK %q, want %q", got, want)
	}
	if ev := sink.stored(); len(ev) != 1 || ev[0].Kind != KindDuress || ev[0].User != "003" || ev[0].Zone != "" {
		t.Fatalf("events %+v", ev)
	}
}

func TestTCPRepliesByCase(t *testing.T) {
	keyed := append(clearAccounts(), Account{Number: "777", Site: "keyed", Key: vecKey})
	probeOnly := []Account{{Number: "FFF"}}
	tests := []struct {
		name   string
		cfg    DC09Config
		send   string
		reply  string // "" = none
		events int
		kind   string
	}{
		{"unknown account nak", DC09Config{Accounts: probeOnly, UnknownAccount: "nak"}, cidPanic,
			frameOf(`"NAK"0000R0L0A0[]_14:12:04,09-25-2024`), 0, ""},
		{"unknown account ignore", DC09Config{Accounts: probeOnly}, cidPanic, "", 0, ""},
		{"unknown account accept", DC09Config{Accounts: probeOnly, UnknownAccount: "accept"}, cidPanic, ackCID, 1, KindPanic},
		{"bad CRC", DC09Config{Accounts: clearAccounts()}, "0000" + cidPanic[4:], "", 0, ""},
		{"unknown code", DC09Config{Accounts: clearAccounts()}, frameOf(`"SIA-DCS"0009#1234[#1234|Nri1/ZZ001]`),
			frameOf(`"ACK"0009#1234[]`), 1, KindOther},
		{"unreadable payload", DC09Config{Accounts: clearAccounts()}, frameOf(`"ADM-CID"0010#1234[#1234|hello]`),
			frameOf(`"ACK"0010#1234[]`), 1, KindOther},
		{"unknown type", DC09Config{Accounts: clearAccounts()}, frameOf(`"ADM-XYZ"0011R2#1234[x]`),
			frameOf(`"DUH"0011R2#1234[]`), 0, ""},
		{"clear message to keyed account", DC09Config{Accounts: keyed}, frameOf(`"ADM-CID"0012#777[#777|1120 01 015]`),
			frameOf(`"DUH"0012#777[]`), 0, ""},
		{"clear link test to keyed account", DC09Config{Accounts: keyed}, frameOf(`"NULL"0000#777[]`),
			frameOf(`"ACK"0000#777[]`), 0, ""},
		{"encrypted to account without key", DC09Config{Accounts: clearAccounts()}, encPA,
			frameOf(`"DUH"0007L0#1234[]`), 0, ""},
		{"binary CRC", DC09Config{Accounts: clearAccounts()}, "\x13\x79003B" + cidPanic[8:], ackCID, 1, KindPanic},
		{"decimal length", DC09Config{Accounts: clearAccounts()}, "13790059" + cidPanic[8:], ackCID, 1, KindPanic},
		{"lower-case account echoed", DC09Config{Accounts: []Account{{Number: "ABC123"}, {Number: "FFF"}}},
			frameOf(`"SIA-DCS"0013#abc123[#abc123|NPA001]`), frameOf(`"ACK"0013#abc123[]`), 1, KindPanic},
		{"empty SIA data is a link test", DC09Config{Accounts: clearAccounts()}, `96ED0016"SIA-DCS"0001L0#1234[]`,
			frameOf(`"ACK"0001L0#1234[]`), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink()
			r := start(t, tt.cfg, sink, frameTime)
			p := dial(t, r)
			p.send(wire(tt.send))
			if tt.reply == "" {
				p.noReplyBefore()
			} else if got := p.reply(); got != wire(tt.reply) {
				t.Fatalf("reply %q, want %q", got, wire(tt.reply))
			}
			ev := sink.stored()
			if len(ev) != tt.events || tt.events > 0 && (ev[0].Kind != tt.kind || ev[0].Opens != (tt.kind == KindPanic)) {
				t.Fatalf("events %+v, want %d of kind %q", ev, tt.events, tt.kind)
			}
		})
	}
}

func TestUDPRepliesToSender(t *testing.T) {
	sink := newSink()
	r := start(t, DC09Config{Accounts: clearAccounts()}, sink, frameTime)
	_, udp := r.Addr()
	c, err := net.Dial("udp", udp.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, frame := range []string{cidPanic, cidPanic} { // and its retransmission
		if _, err := c.Write([]byte(wire(frame))); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 512)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != wire(ackCID) {
			t.Fatalf("UDP reply %q, want %q", got, wire(ackCID))
		}
	}
	ev := sink.stored()
	if len(ev) != 1 || ev[0].Source != "dc09-udp" || !ev[0].Opens || ev[0].Site != "lyon-3-post-office" {
		t.Fatalf("events %+v", ev)
	}
}

func TestConnectionLimitAndIdleTimeout(t *testing.T) {
	sink := newSink()
	r := start(t, DC09Config{Accounts: clearAccounts(), MaxConnections: 1, IdleTimeout: 300 * time.Millisecond}, sink, frameTime)
	first := dial(t, r)
	first.noReplyBefore() // the first connection is served
	second := dial(t, r)
	second.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := second.rd.ReadByte(); err != io.EOF {
		t.Fatalf("connection over the limit: %v, want EOF", err)
	}
	// The first one, silent, is closed after the idle timeout.
	first.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := first.rd.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: %v, want EOF", err)
	}
	// Its slot is free again.
	dial(t, r).noReplyBefore()
}

// blockingSink waits for its context, as a stuck database would.
type blockingSink struct{ entered chan struct{} }

func (s blockingSink) Alarm(ctx context.Context, e Event) error {
	s.entered <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

func TestCloseWithOpenConnectionsLeavesNoGoroutine(t *testing.T) {
	base := runtime.NumGoroutine()
	sink := blockingSink{entered: make(chan struct{}, 1)}
	r, err := StartDC09(context.Background(), DC09Config{Addr: "127.0.0.1:0", Accounts: clearAccounts(), Now: func() time.Time { return frameTime }}, sink)
	if err != nil {
		t.Fatal(err)
	}
	tcp, udp := r.Addr()
	var conns []net.Conn
	for i := range 3 {
		c, err := net.Dial("tcp", tcp.String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if i == 0 {
			c.Write([]byte(wire(cidPanic))) // blocks in the sink
		} else {
			c.Write([]byte(wire(cidPanic)[:30])) // half a frame
		}
		conns = append(conns, c)
	}
	<-sink.entered
	u, _ := net.Dial("udp", udp.String())
	defer u.Close()

	done := make(chan error)
	go func() { done <- r.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 64)); err == nil || isTimeout(err) {
			t.Errorf("connection after Close: %v, want it closed", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines left, started with %d:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, err := StartDC09(ctx, DC09Config{Addr: "127.0.0.1:0"}, newSink())
	if err != nil {
		t.Fatal(err)
	}
	tcp, _ := r.Addr()
	cancel()
	r.Close() // returns once stopped
	if c, err := net.DialTimeout("tcp", tcp.String(), time.Second); err == nil {
		c.Close()
		t.Fatal("still listening after the context ended")
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
