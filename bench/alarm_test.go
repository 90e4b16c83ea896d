package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigie/alarm/dc09"
)

// crcARC is CRC-16/ARC written out bit by bit (reflected polynomial 0xA001,
// initial value 0), independent of the dc09 package's table.
func crcARC(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestCRCARCCheckValue(t *testing.T) {
	if got := crcARC([]byte("123456789")); got != 0xBB3D {
		t.Fatalf("CRC-16/ARC check value %04X, want BB3D", got)
	}
}

func TestCIDFrame(t *testing.T) {
	at := time.Date(2024, 9, 25, 14, 12, 4, 0, time.UTC)
	b, err := cidFrame("1234", 1, "1120 01 015", at)
	if err != nil {
		t.Fatal(err)
	}
	// The frame a panel sends for a panic, zone 15, as vigie's own
	// end-to-end test sends it.
	if want := "\n1379003B\"ADM-CID\"0001L0#1234[#1234|1120 01 015]_14:12:04,09-25-2024\r"; string(b) != want {
		t.Fatalf("frame\n got %q\nwant %q", b, want)
	}

	b, err = cidFrame("B0007", 9998, "1120 01 001", at)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != '\n' || b[len(b)-1] != '\r' {
		t.Fatalf("frame %q is not LF ... CR", b)
	}
	line := b[1 : len(b)-1]
	body := line[8:]
	if got, want := string(line[:4]), fmt.Sprintf("%04X", crcARC(body)); got != want {
		t.Errorf("CRC field %s, CRC-16/ARC of the body %s", got, want)
	}
	if got, want := string(line[4:8]), fmt.Sprintf("%04X", len(body)); got != want {
		t.Errorf("length field %s, body is %s bytes", got, want)
	}
	f, err := dc09.ParseFrame(b)
	if err != nil {
		t.Fatalf("ParseFrame(%q): %v", b, err)
	}
	if f.DecimalLength || f.BinaryCRC || f.Encrypted {
		t.Errorf("frame read with decimal length %v, binary CRC %v, encrypted %v", f.DecimalLength, f.BinaryCRC, f.Encrypted)
	}
	if f.ID != "ADM-CID" || f.Seq != "9998" || f.Line != "0" || f.Account != "B0007" || f.AccountMark != '#' {
		t.Errorf("frame fields %+v", f)
	}
	if ts, ok := f.Time(nil); !ok || !ts.Equal(at) {
		t.Errorf("timestamp %v (%v), want %v", ts, ok, at)
	}
	cid, err := dc09.ParseContactID(f.Data)
	if err != nil {
		t.Fatal(err)
	}
	if acct, _ := dc09.SplitAccount(f.Data); acct != "B0007" {
		t.Errorf("account in the data %q", acct)
	}
	if cid.Qualifier != '1' || cid.Event != "120" || cid.Partition != "01" || cid.Zone != "001" {
		t.Errorf("contact ID %+v, want a new panic", cid)
	}
}

func TestCIDFrameRefuses(t *testing.T) {
	for _, c := range []struct {
		seq   int
		event string
	}{{10000, "1120 01 001"}, {-1, "1120 01 001"}, {1, "9120 01 001"}, {1, "panic"}} {
		if b, err := cidFrame("1234", c.seq, c.event, time.Now()); err == nil {
			t.Errorf("seq %d, event %q: built %q", c.seq, c.event, b)
		}
	}
}

func TestAlarmDistributionNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 20; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	want := AlarmDistribution{Min: time.Millisecond, Median: 10 * time.Millisecond, P99: 20 * time.Millisecond, Max: 20 * time.Millisecond}
	if got := alarmDistribution(ds); got != want {
		t.Fatalf("20 samples: %+v, want %+v (p99 of 20 is the largest)", got, want)
	}
	ds = ds[:0]
	for i := 1; i <= 200; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if got := alarmDistribution(ds); got.P99 != 198*time.Millisecond || got.Median != 100*time.Millisecond {
		t.Fatalf("200 samples: %+v, want p99 198ms, median 100ms", got)
	}
	if got := alarmDistribution(nil); got != (AlarmDistribution{}) {
		t.Fatalf("no sample: %+v", got)
	}
}

func sampleAlarmResult() AlarmResult {
	r := AlarmResult{
		Via: ViaDC09, Contacts: 50,
		Samples: []AlarmSample{
			{Site: "a", Mails: 50, Accepted: 8100 * time.Microsecond, FirstMail: 10 * time.Millisecond, LastMail: 99640 * time.Microsecond},
			{Site: "b", Mails: 50, Accepted: 10500 * time.Microsecond, FirstMail: 17 * time.Millisecond, LastMail: 1209 * time.Millisecond},
		},
		Failures: 1,
		Errors:   []string{"alarm 3 (site c): 12 new e-mails in Mailpit after 30s, want 50"},
	}
	r.summarise()
	return r
}

func TestAlarmJSON(t *testing.T) {
	b, err := sampleAlarmResult().JSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"alarms":2,"contacts":50,` +
		`"alarm_to_last_mail_ms":{"min":99.6,"median":99.6,"p99":1209,"max":1209},` +
		`"alarm_to_first_mail_ms":{"min":10,"median":10,"p99":17,"max":17},` +
		`"alarm_to_answer_ms":{"min":8.1,"median":8.1,"p99":10.5,"max":10.5},` +
		`"via":"dc09","failures":1}`
	if string(b) != want {
		t.Fatalf("JSON\n got %s\nwant %s", b, want)
	}
}

func TestAlarmWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleAlarmResult().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	want := [][]string{
		{"alarms", "3", "via", "dc09,", "50", "e-mails", "each,", "failures", "1"},
		{"ms", "from", "the", "alarm", "n", "min", "median", "p99", "max"},
		{"vigie's", "answer", "2", "8.1", "8.1", "10.5", "10.5"},
		{"first", "e-mail", "2", "10.0", "10.0", "17.0", "17.0"},
		{"last", "e-mail", "2", "99.6", "99.6", "1209.0", "1209.0"},
		{"objective:", "last", "e-mail", "p99", "<=", "1000", "ms:", "MISSED"},
		{"failed:", "alarm", "3", "(site", "c):", "12", "new", "e-mails", "in", "Mailpit", "after", "30s,", "want", "50"},
	}
	if len(lines) != len(want) {
		t.Fatalf("table has %d lines:\n%s", len(lines), buf.String())
	}
	for i := range want {
		if got := strings.Fields(lines[i]); strings.Join(got, " ") != strings.Join(want[i], " ") {
			t.Errorf("line %d: %q, want fields %q", i, lines[i], want[i])
		}
	}
	if len(lines[1]) != len(lines[2]) || len(lines[2]) != len(lines[4]) {
		t.Errorf("rows of unequal width:\n%s", buf.String())
	}
}

func TestAcceptedTakesEachInvitationsFirstCopy(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	msgs := []mailSummary{
		{ID: "m4", MessageID: "vigie.v_b@bench.example", Created: t0.Add(900 * time.Millisecond)}, // a second copy, after a retry
		{ID: "m3", MessageID: "vigie.v_b@bench.example", Created: t0.Add(300 * time.Millisecond)},
		{ID: "m2", MessageID: "<vigie.v_a@bench.example>", Created: t0.Add(100 * time.Millisecond)},
		{ID: "m1", MessageID: "someone.else@example.org", Created: t0},
	}
	got := accepted(msgs, map[string]string{"v_a": "sent", "v_b": "sent", "v_c": "created"})
	if len(got) != 2 || !got["v_a"].Equal(t0.Add(100*time.Millisecond)) || !got["v_b"].Equal(t0.Add(300*time.Millisecond)) {
		t.Fatalf("accepted %v", got)
	}
	if first, last := spread(got); !first.Equal(t0.Add(100*time.Millisecond)) || !last.Equal(t0.Add(300*time.Millisecond)) {
		t.Fatalf("spread %v %v", first, last)
	}
	if s := countStates(map[string]string{"a": "sent", "b": "failed", "c": "sent"}); s != "1 failed, 2 sent" {
		t.Fatalf("countStates %q", s)
	}
}

func TestSiteOrder(t *testing.T) {
	sites := []AlarmSite{{ID: "a"}, {ID: "b"}}
	var ids []string
	for _, s := range SiteOrder(sites, 5) {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "a,b,a,b,a" {
		t.Fatalf("order %v", ids)
	}
	if SiteOrder(nil, 3) != nil || len(SiteOrder(sites, 0)) != 0 {
		t.Fatal("no sites or no alarms must give none")
	}
}

func TestAlarmConfigChecks(t *testing.T) {
	ok := AlarmConfig{Sites: []AlarmSite{{ID: "s", Account: "B0001"}}, DC09: "127.0.0.1:1", Server: "https://x", AdminKey: "k", Mailpit: "http://m"}
	if _, err := ok.withDefaults(); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(*AlarmConfig){
		"no site":      func(c *AlarmConfig) { c.Sites = nil },
		"bad via":      func(c *AlarmConfig) { c.Via = "smoke" },
		"no receiver":  func(c *AlarmConfig) { c.DC09 = "" },
		"bad account":  func(c *AlarmConfig) { c.Sites[0].Account = "zz" },
		"no admin key": func(c *AlarmConfig) { c.AdminKey = "" },
		"no mailpit":   func(c *AlarmConfig) { c.Mailpit = "" },
	} {
		c := ok
		c.Sites = []AlarmSite{ok.Sites[0]}
		change(&c)
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// fakeVigie stands for vigie's API, its DC-09 receiver and the Mailpit it
// sends to: an alarm opens an incident whose invitations' messages appear
// in the Mailpit list 20 ms apart, the last one mailDelay after the alarm;
// the invitations are recorded as sent only a little later.
type fakeVigie struct {
	t         *testing.T
	contacts  int
	mailDelay time.Duration

	mu        sync.Mutex
	incidents []*fakeIncident
	mails     []mailSummary // oldest first
	closed    []string
}

type fakeIncident struct {
	id, site string
	opened   time.Time
	invs     []string
	open     bool
}

func (f *fakeVigie) raise(site string) *fakeIncident {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	inc := &fakeIncident{id: fmt.Sprintf("i_%d", len(f.incidents)+1), site: site, opened: now, open: true}
	for i := range f.contacts {
		inv := fmt.Sprintf("v_%s_%d", inc.id, i)
		inc.invs = append(inc.invs, inv)
		at := now.Add(f.mailDelay - time.Duration(f.contacts-1-i)*20*time.Millisecond)
		f.mails = append(f.mails, mailSummary{ID: fmt.Sprintf("m%d", len(f.mails)), MessageID: "vigie." + inv + "@bench.example", Created: at})
	}
	f.incidents = append(f.incidents, inc)
	return inc
}

func (f *fakeVigie) api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("POST /api/v1/incidents", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Site, Kind string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Header.Get("Authorization") != "Bearer key" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		inc := f.raise(req.Site)
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"id": inc.id, "site": inc.site, "opened": true})
	})
	mux.HandleFunc("GET /api/v1/incidents", func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var list []map[string]any
		for _, inc := range f.incidents {
			if !inc.open {
				continue
			}
			var invs []map[string]string
			for _, id := range inc.invs {
				state := "created"
				if time.Since(inc.opened) > f.mailDelay+50*time.Millisecond {
					state = "sent"
				}
				invs = append(invs, map[string]string{"id": id, "list": "committee", "state": state})
			}
			list = append(list, map[string]any{"id": inc.id, "site": inc.site, "opened_at": inc.opened, "invitations": invs})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"incidents": list})
	})
	mux.HandleFunc("POST /api/v1/incidents/{id}/close", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, inc := range f.incidents {
			if inc.id == r.PathValue("id") {
				inc.open = false
			}
		}
		f.closed = append(f.closed, r.PathValue("id"))
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func (f *fakeVigie) mailpit() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		f.mu.Lock()
		now := time.Now()
		var out []mailSummary
		for i := len(f.mails) - 1; i >= 0 && len(out) < limit; i-- {
			if !f.mails[i].Created.After(now) {
				out = append(out, f.mails[i])
			}
		}
		f.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"total": len(out), "messages": out})
	})
}

// dc09 answers frames like vigie's receiver: an incident for the site of
// the account, then the ACK.
func (f *fakeVigie) dc09(ln net.Listener, sites map[string]string) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			line, err := bufio.NewReader(conn).ReadBytes('\r')
			if err != nil {
				return
			}
			frame, err := dc09.ParseFrame(line)
			if err != nil {
				f.t.Errorf("frame %q: %v", line, err)
				return
			}
			f.raise(sites[frame.Account])
			_, _ = conn.Write(dc09.ACK(frame))
		}()
	}
}

func TestAlarmsMeasuresToTheLastMail(t *testing.T) {
	for _, via := range []string{ViaAPI, ViaDC09} {
		t.Run(via, func(t *testing.T) {
			f := &fakeVigie{t: t, contacts: 5, mailDelay: 200 * time.Millisecond}
			// A message from before the bench, which must not count.
			f.mails = append(f.mails, mailSummary{ID: "old", MessageID: "vigie.v_old@bench.example", Created: time.Now().Add(-time.Hour)})
			api := httptest.NewServer(f.api())
			defer api.Close()
			mp := httptest.NewServer(f.mailpit())
			defer mp.Close()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go f.dc09(ln, map[string]string{"B0001": "one", "B0002": "two"})

			res, err := Alarms(context.Background(), AlarmConfig{
				Sites: SiteOrder([]AlarmSite{{ID: "one", Account: "B0001"}, {ID: "two", Account: "B0002"}}, 3),
				Via:   via, DC09: ln.Addr().String(), Server: api.URL, AdminKey: "key", Mailpit: mp.URL,
				Contacts: 5, Timeout: 5 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Failures != 0 || len(res.Samples) != 3 {
				t.Fatalf("result %+v", res)
			}
			for _, s := range res.Samples {
				// The fake stamps the last message 200 ms after it saw the
				// alarm, the first 80 ms before that.
				if s.LastMail < 200*time.Millisecond || s.LastMail > 300*time.Millisecond ||
					s.LastMail-s.FirstMail != 80*time.Millisecond || s.Accepted > s.FirstMail || s.Mails != 5 {
					t.Errorf("sample %+v", s)
				}
			}
			if strings.Join(f.closed, ",") != "i_1,i_2,i_3" {
				t.Errorf("closed %v, want every incident the bench opened", f.closed)
			}
		})
	}
}

func TestAlarmsRefusesASiteWithAnOpenIncident(t *testing.T) {
	f := &fakeVigie{t: t, contacts: 2}
	f.raise("one")
	api := httptest.NewServer(f.api())
	defer api.Close()
	_, err := Alarms(context.Background(), AlarmConfig{
		Sites: []AlarmSite{{ID: "one"}}, Via: ViaAPI, Server: api.URL, AdminKey: "key", Mailpit: "http://127.0.0.1:1", Contacts: 2,
	})
	if err == nil || !strings.Contains(err.Error(), "open incident") {
		t.Fatalf("err %v", err)
	}
}

func TestAlarmsReportsMissingMail(t *testing.T) {
	f := &fakeVigie{t: t, contacts: 3, mailDelay: time.Hour} // never arrives
	api := httptest.NewServer(f.api())
	defer api.Close()
	mp := httptest.NewServer(f.mailpit())
	defer mp.Close()
	res, err := Alarms(context.Background(), AlarmConfig{
		Sites: []AlarmSite{{ID: "one"}}, Via: ViaAPI, Server: api.URL, AdminKey: "key", Mailpit: mp.URL,
		Contacts: 3, Timeout: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failures != 1 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], "0 of its 3 invitations' e-mails arrived; invitations 3 created") {
		t.Fatalf("result %+v", res)
	}
	if len(f.closed) != 1 {
		t.Fatalf("the incident of a failed alarm stays open: closed %v", f.closed)
	}
}
