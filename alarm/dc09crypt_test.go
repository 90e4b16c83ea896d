package alarm

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"vigie/alarm/dc09"
)

func encryptedAccounts(loc *time.Location) []Account {
	return []Account{{Number: "1234", Site: "lyon-3-post-office", Key: vecKey, Location: loc}, {Number: "FFF"}}
}

// decryptReply parses and decrypts an encrypted reply.
func decryptReply(t *testing.T, reply string) dc09.Frame {
	t.Helper()
	key, _ := dc09.ParseKey(vecKey)
	f, err := dc09.ParseFrame([]byte(reply))
	if err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	d, err := f.Decrypt(key)
	if err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	return d
}

func TestEncryptedTimestampWindow(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time // the receiver's clock
		ok   bool
	}{
		{"on time", frameTime.Add(2 * time.Second), true},
		{"40 s late: oldest accepted", frameTime.Add(40 * time.Second), true},
		{"41 s late", frameTime.Add(41 * time.Second), false},
		{"20 s ahead: newest accepted", frameTime.Add(-20 * time.Second), true},
		{"21 s ahead", frameTime.Add(-21 * time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink()
			r := start(t, DC09Config{Accounts: encryptedAccounts(nil)}, sink, tt.now)
			p := dial(t, r)
			p.send(wire(encPA))
			reply := p.reply()
			if !tt.ok {
				if want := wire(frameOf(`"NAK"0000R0L0A0[]_` + dc09.FormatTimestamp(tt.now))); reply != want {
					t.Fatalf("reply %q, want the clear NAK %q", reply, want)
				}
				if n := len(sink.stored()); n != 0 {
					t.Fatalf("%d events from a refused frame", n)
				}
				return
			}
			ack := decryptReply(t, reply)
			if ack.ID != "ACK" || !ack.Encrypted || ack.Seq != "0007" || ack.Line != "0" || ack.Account != "1234" ||
				len(ack.Data) != 0 || ack.Timestamp != dc09.FormatTimestamp(tt.now) {
				t.Fatalf("ACK %+v", ack)
			}
			ev := sink.stored()
			if len(ev) != 1 || ev[0].Kind != KindPanic || !ev[0].Opens || ev[0].Zone != "015" || !ev[0].OccurredAt.Equal(frameTime) ||
				ev[0].Extras["decrypted"] != "#1234|Nri1/PA015" || ev[0].Raw != encPA {
				t.Fatalf("events %+v", ev)
			}
		})
	}
}

func TestEncryptedWithoutTimestampIsNAKed(t *testing.T) {
	key, _ := dc09.ParseKey(vecKey)
	b, err := dc09.Encode(dc09.Frame{ID: "SIA-DCS", Encrypted: true, Seq: "0008", Account: "1234", Data: []byte("#1234|Nri1/PA015")}, key, seededRand(1))
	if err != nil {
		t.Fatal(err)
	}
	sink := newSink()
	r := start(t, DC09Config{Accounts: encryptedAccounts(nil)}, sink, frameTime)
	p := dial(t, r)
	p.send(string(b))
	if got, want := p.reply(), wire(frameOf(`"NAK"0000R0L0A0[]_14:12:04,09-25-2024`)); got != want {
		t.Fatalf("reply %q, want %q", got, want)
	}
}

func TestEncryptedPerAccountTimeZone(t *testing.T) {
	paris := time.FixedZone("CEST", 2*3600)
	nowUTC := time.Date(2024, 9, 25, 12, 12, 10, 0, time.UTC) // 14:12:10 in Paris
	tests := []struct {
		name string
		loc  *time.Location
		nak  bool
	}{
		{"local time read in its zone", paris, false},
		{"same frame read as UTC is 2 h ahead", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newSink()
			r := start(t, DC09Config{Accounts: encryptedAccounts(tt.loc)}, sink, nowUTC)
			p := dial(t, r)
			p.send(wire(encPA))
			reply := p.reply()
			if tt.nak {
				if want := wire(frameOf(`"NAK"0000R0L0A0[]_12:12:10,09-25-2024`)); reply != want {
					t.Fatalf("reply %q, want %q", reply, want)
				}
				return
			}
			if ack := decryptReply(t, reply); ack.Timestamp != "14:12:10,09-25-2024" {
				t.Fatalf("ACK timestamp %q, want the panel's local time", ack.Timestamp)
			}
			if ev := sink.stored(); len(ev) != 1 || !ev[0].OccurredAt.Equal(time.Date(2024, 9, 25, 12, 12, 4, 0, time.UTC)) {
				t.Fatalf("events %+v", ev)
			}
		})
	}
}

func TestEncryptedRetransmissionWithNewPad(t *testing.T) {
	key, _ := dc09.ParseKey(vecKey)
	in := dc09.Frame{ID: "SIA-DCS", Encrypted: true, Seq: "0042", Receiver: "5", Account: "1234",
		Data: []byte("#1234|Nri1/HA004"), Extended: []dc09.Block{{Kind: 'V', Value: "rtsp://cam/1"}}}
	sink := newSink()
	r := start(t, DC09Config{Accounts: encryptedAccounts(nil)}, sink, frameTime)
	p := dial(t, r)
	var sent [][]byte
	for i := range 2 {
		in.Timestamp = dc09.FormatTimestamp(frameTime.Add(time.Duration(i) * time.Second))
		b, err := dc09.Encode(in, key, seededRand(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		sent = append(sent, b)
		p.send(string(b))
		if ack := decryptReply(t, p.reply()); ack.ID != "ACK" || ack.Seq != "0042" || ack.Receiver != "5" {
			t.Fatalf("ACK %+v", ack)
		}
	}
	if bytes.Equal(sent[0], sent[1]) {
		t.Fatal("the two transmissions are the same bytes: the test proves nothing")
	}
	ev := sink.stored()
	if len(ev) != 1 || ev[0].Kind != KindHoldup || ev[0].Extras["verification_url"] != "rtsp://cam/1" {
		t.Fatalf("events %+v, want one hold-up", ev)
	}
}

func seededRand(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}
