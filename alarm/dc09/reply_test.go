package dc09

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
)

func wire(v string) string { return "\n" + v + "\r" }

func TestACKVectors(t *testing.T) {
	tests := []struct{ req, ack string }{
		{vecCIDPanic, vecACKCID},
		{vecSIAPA, vecACKPA},
	}
	for _, tt := range tests {
		req, err := ParseFrame([]byte(tt.req))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(ACK(req)); got != wire(tt.ack) {
			t.Errorf("ACK(%s)\n got %q\nwant %q", tt.req, got, wire(tt.ack))
		}
	}
}

func TestReplyEchoesRoutingExactly(t *testing.T) {
	tests := []struct{ name, req, ackBody string }{
		{"R and L", `"SIA-DCS"0001RF3L77#1234[]`, `"ACK"0001RF3L77#1234[]`},
		{"L only", `"SIA-DCS"0002L0#1234[]`, `"ACK"0002L0#1234[]`},
		{"R only", `"SIA-DCS"0003R0#1234[]`, `"ACK"0003R0#1234[]`},
		{"neither", `"SIA-DCS"0004#0123[]`, `"ACK"0004#0123[]`},
		{"lower-case hex kept", `"SIA-DCS"9999Rab#abc123[]`, `"ACK"9999Rab#abc123[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := ParseFrame([]byte(frameOf(tt.req)))
			if err != nil {
				t.Fatal(err)
			}
			ack := string(ACK(req))
			if want := wire(frameOf(tt.ackBody)); ack != want {
				t.Fatalf("ACK %q, want %q", ack, want)
			}
			if strings.Contains(ack, "None") {
				t.Fatalf("ACK %q says None", ack)
			}
			duh := string(DUH(req))
			if want := wire(frameOf(strings.Replace(tt.ackBody, "ACK", "DUH", 1))); duh != want {
				t.Fatalf("DUH %q, want %q", duh, want)
			}
		})
	}
}

// frameOf puts CRC and length in front of body.
func frameOf(body string) string {
	return hex4(CRC([]byte(body))) + hex4(uint16(len(body))) + body
}

func TestNAK(t *testing.T) {
	now := time.Date(2025, 9, 24, 16, 20, 1, 0, time.UTC)
	if got := string(NAK(now)); got != wire(vecNAK) {
		t.Fatalf("NAK %q, want %q", got, wire(vecNAK))
	}
}

func TestFormatTimestamp(t *testing.T) {
	ts := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := FormatTimestamp(ts); got != "03:04:05,01-02-2024" {
		t.Fatalf("FormatTimestamp = %q", got)
	}
	back, err := ParseTimestamp("03:04:05,01-02-2024", nil)
	if err != nil || !back.Equal(ts) {
		t.Fatalf("ParseTimestamp = %v, %v", back, err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked in: the zone is always there
	}
	local, _ := ParseTimestamp("14:12:04,09-25-2024", paris)
	if want := time.Date(2024, 9, 25, 12, 12, 4, 0, time.UTC); !local.Equal(want) {
		t.Fatalf("Paris 14:12:04 = %v UTC, want %v", local.UTC(), want)
	}
	for _, bad := range []string{"24:00:00,01-01-2024", "12:00:00,02-30-2024", "12:00:00,13-01-2024", "12:00:00.01-01-2024", "1:00:00,01-01-2024"} {
		if _, err := ParseTimestamp(bad, nil); err == nil {
			t.Errorf("ParseTimestamp(%q): no error", bad)
		}
	}
}
