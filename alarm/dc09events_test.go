package alarm

import (
	"strings"
	"testing"
	"time"

	"vigie/alarm/dc09"
)

func eventsOf(t *testing.T, s *dc09Setup, frame string) []Event {
	t.Helper()
	f, err := dc09.ParseFrame([]byte(frame))
	if err != nil {
		t.Fatal(err)
	}
	acct := &account{number: "1234", site: "s1"}
	return s.frameEvents(f, []byte(frame), acct, "dc09-tcp", frameTime.Add(time.Minute))
}

func TestFrameEventsKinds(t *testing.T) {
	s, err := newDC09Setup(DC09Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		data, id                   string
		code, kind                 string
		opens                      bool
		zone, partition, user, txt string
	}{
		{"#1234|1120 01 015", "ADM-CID", "CID 1120 01 015", KindPanic, true, "015", "01", "", ""},
		{"#1234|3120 01 015", "ADM-CID", "CID 3120 01 015", KindRestore, false, "015", "01", "", ""},
		{"#1234|6120 01 015", "ADM-CID", "CID 6120 01 015", KindPanic, false, "015", "01", "", ""},
		{"#1234|1121 01 003", "ADM-CID", "CID 1121 01 003", KindDuress, true, "", "01", "003", ""},
		{"#1234|1122 02 007", "ADM-CID", "CID 1122 02 007", KindHoldup, true, "007", "02", "", ""},
		{"#1234|1146 01 009", "ADM-CID", "CID 1146 01 009", KindHoldup, true, "009", "01", "", ""},
		{"#1234|1101 01 001", "ADM-CID", "CID 1101 01 001", KindEmergency, false, "001", "01", "", ""},
		{"#1234|1602 00 000", "ADM-CID", "CID 1602 00 000", KindTest, false, "000", "00", "", ""},
		{"#1234|1130 01 004", "ADM-CID", "CID 1130 01 004", KindOther, false, "004", "01", "", ""},
		{"#1234|1401 01 012", "ADM-CID", "CID 1401 01 012", KindOther, false, "", "01", "012", ""},
		{"#1234|junk", "ADM-CID", "CID junk", KindOther, false, "", "", "", ""},
		{"#1234|Nri1/PA015", "SIA-DCS", "SIA PA015", KindPanic, true, "015", "1", "", ""},
		{"#1234|Nri1/PR015", "SIA-DCS", "SIA PR015", KindRestore, false, "015", "1", "", ""},
		{"#1234|Nri2/id7/HA004|Acaisse 2", "SIA-DCS", "SIA HA004", KindHoldup, true, "004", "2", "7", "caisse 2"},
		{"#1234|NHR004", "SIA-DCS", "SIA HR004", KindRestore, false, "004", "", "", ""},
		{"#1234|NQA001", "SIA-DCS", "SIA QA001", KindEmergency, false, "001", "", "", ""},
		{"#1234|NDU1234", "SIA-DCS", "SIA DU1234", KindOther, false, "1234", "", "", ""},
		{"#0123|Nti20:50:26RP99", "SIA-DCS", "SIA RP99", KindTest, false, "99", "", "", ""},
		{"#1234|N?", "SIA-DCS", "SIA N?", KindOther, false, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			ev := eventsOf(t, s, frameOf(`"`+tt.id+`"0001#1234[`+tt.data+`]`))
			if len(ev) != 1 {
				t.Fatalf("%d events", len(ev))
			}
			e := ev[0]
			if e.Code != tt.code || e.Kind != tt.kind || e.Opens != tt.opens || e.Zone != tt.zone || e.Partition != tt.partition ||
				e.User != tt.user || e.Extras["text"] != tt.txt {
				t.Fatalf("event %+v", e)
			}
			if e.Site != "s1" || e.Account != "1234" || !e.OccurredAt.Equal(e.ReceivedAt) {
				t.Fatalf("event %+v", e)
			}
		})
	}
}

func TestFrameEventsExtrasAndTimes(t *testing.T) {
	s, _ := newDC09Setup(DC09Config{})
	frame := frameOf(`"SIA-DCS"0002R1L232#1234[#1234|Nri1/BA012/PA013][X012W34.1][Y045N12.2][Hhh][H14:11:58,09-25-2024]` +
		`[Sagence Lyon 3][Lguichet][Ixyz]_14:12:04,09-25-2024`)
	ev := eventsOf(t, s, frame)
	if len(ev) != 2 {
		t.Fatalf("%d events, want 2", len(ev))
	}
	want := map[string]string{"longitude": "012W34.1", "latitude": "045N12.2", "event_time": "14:11:58,09-25-2024",
		"site_name": "agence Lyon 3", "location": "guichet", "block_I": "xyz"}
	for k, v := range want {
		if ev[0].Extras[k] != v {
			t.Errorf("Extras[%q] = %q, want %q", k, ev[0].Extras[k], v)
		}
	}
	if at := time.Date(2024, 9, 25, 14, 11, 58, 0, time.UTC); !ev[0].OccurredAt.Equal(at) {
		t.Errorf("OccurredAt %v, want the [H] block's %v", ev[0].OccurredAt, at)
	}
	if ev[0].Code != "SIA BA012" || ev[0].Opens || ev[1].Code != "SIA PA013" || !ev[1].Opens {
		t.Errorf("events %+v", ev)
	}
	if ev[0].DedupeKey == ev[1].DedupeKey || !strings.HasSuffix(ev[1].DedupeKey, "/2") {
		t.Errorf("dedupe keys %q %q", ev[0].DedupeKey, ev[1].DedupeKey)
	}
}

func TestDedupeKey(t *testing.T) {
	s, _ := newDC09Setup(DC09Config{})
	key := func(body string) string { return eventsOf(t, s, frameOf(body))[0].DedupeKey }
	a := key(`"ADM-CID"0001L0#1234[#1234|1120 01 015]_14:12:04,09-25-2024`)
	if b := key(`"ADM-CID"0001L0#1234[#1234|1120 01 015]_14:12:09,09-25-2024`); a != b {
		t.Errorf("a retransmission with a new timestamp has another key: %q %q", a, b)
	}
	for _, other := range []string{
		`"ADM-CID"0002L0#1234[#1234|1120 01 015]`, // next sequence
		`"ADM-CID"0001L0#1234[#1234|1120 01 016]`, // other zone
		`"ADM-CID"0001L0#1234[#1234|1120 01 015][Vx]`,
	} {
		if b := key(other); a == b {
			t.Errorf("%s has the same key as the first frame", other)
		}
	}
}

func TestTriggersConfigured(t *testing.T) {
	s, err := newDC09Setup(DC09Config{Triggers: Triggers{CID: []string{"130"}, SIA: []string{"ba"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		body  string
		opens bool
	}{
		{`"ADM-CID"0001#1234[#1234|1130 01 004]`, true},
		{`"ADM-CID"0001#1234[#1234|3130 01 004]`, false},
		{`"ADM-CID"0001#1234[#1234|1120 01 004]`, false},
		{`"SIA-DCS"0001#1234[#1234|NBA004]`, true},
		{`"SIA-DCS"0001#1234[#1234|NPA004]`, false},
	} {
		if e := eventsOf(t, s, frameOf(tt.body))[0]; e.Opens != tt.opens {
			t.Errorf("%s: Opens %v, want %v", tt.body, e.Opens, tt.opens)
		}
	}
}

func TestDC09ConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  DC09Config
		want string
	}{
		{"account short", DC09Config{Accounts: []Account{{Number: "12"}}}, "number"},
		{"account not hex", DC09Config{Accounts: []Account{{Number: "12G4"}}}, "number"},
		{"account twice", DC09Config{Accounts: []Account{{Number: "abc"}, {Number: "ABC"}}}, "twice"},
		{"bad key", DC09Config{Accounts: []Account{{Number: "123", Key: "short"}}}, "key"},
		{"bad window", DC09Config{Accounts: []Account{{Number: "123", Window: [2]time.Duration{time.Second, time.Minute}}}}, "window"},
		{"bad policy", DC09Config{UnknownAccount: "drop"}, "unknown_account"},
		{"restore trigger", DC09Config{Triggers: Triggers{SIA: []string{"PR"}}}, "restore"},
		{"bad CID trigger", DC09Config{Triggers: Triggers{CID: []string{"1120"}}}, "Contact ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := newDC09Setup(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one about %q", err, tt.want)
			}
		})
	}
	s, err := newDC09Setup(DC09Config{Accounts: []Account{{Number: "abc"}}})
	if err != nil {
		t.Fatal(err)
	}
	a := s.accounts["ABC"]
	if a == nil || a.window != [2]time.Duration{-40 * time.Second, 20 * time.Second} || s.cfg.MaxConnections != 256 ||
		s.cfg.IdleTimeout != 5*time.Minute || s.cfg.UnknownAccount != "ignore" || !s.cid["146"] || !s.sia["HA"] || s.sia["QA"] {
		t.Fatalf("defaults: %+v %+v", s.cfg, a)
	}
}

func TestRecentKeys(t *testing.T) {
	c := newRecentKeys(2, time.Minute)
	t0 := frameTime
	c.add("a", t0)
	if !c.seen("a", t0.Add(59*time.Second)) || c.seen("a", t0.Add(time.Minute)) || c.seen("b", t0) {
		t.Fatal("seen within the TTL only")
	}
	c.add("b", t0)
	c.add("a", t0) // already there: no second slot
	c.add("c", t0) // full: forgets the oldest, "a"
	if c.seen("a", t0) || !c.seen("b", t0) || !c.seen("c", t0) || len(c.at) != 2 {
		t.Fatalf("after eviction: %v", c.at)
	}
}
