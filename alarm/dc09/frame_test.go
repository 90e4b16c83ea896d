package dc09

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestCRCCheckValue(t *testing.T) {
	if got := CRC([]byte("123456789")); got != 0xBB3D {
		t.Fatalf("CRC(123456789) = %04X, want BB3D", got)
	}
	if got := CRC(nil); got != 0 {
		t.Fatalf("CRC(nil) = %04X, want 0", got)
	}
}

func TestVectorsCRCAndLength(t *testing.T) {
	for _, v := range allVectors {
		body := v[8:]
		if got := strings.ToUpper(v[:4]); got != hex4(CRC([]byte(body))) {
			t.Errorf("%s: CRC %s, computed %s", v, got, hex4(CRC([]byte(body))))
		}
		if got, want := v[4:8], hex4(uint16(len(body))); got != want {
			t.Errorf("%s: length %s, want %s", v, got, want)
		}
	}
}

func hex4(v uint16) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}

func TestParseVectors(t *testing.T) {
	tests := []struct {
		in   string
		want Frame
	}{
		{vecSIARR, Frame{ID: "SIA-DCS", Seq: "0001", Receiver: "F3", Line: "77", Account: "1234", AccountMark: '#', Data: []byte("#1234|NRR|Atest")}},
		{vecSIAEmpty, Frame{ID: "SIA-DCS", Seq: "0001", Line: "0", Account: "1234", AccountMark: '#', Data: []byte{}}},
		{vecNAK, Frame{ID: "NAK", Seq: "0000", Receiver: "0", Line: "0", Account: "0", AccountMark: 'A', Data: []byte{}, Timestamp: "16:20:01,09-24-2025"}},
		{vecSIATime, Frame{ID: "SIA-DCS", Seq: "0002", Account: "0123", AccountMark: '#', Data: []byte("#0123|Nti20:50:26RP99")}},
		{vecSIAXY, Frame{ID: "SIA-DCS", Seq: "0002", Receiver: "1", Line: "232", Account: "78919", AccountMark: '#', Data: []byte("#78919|Nri1/BA012"),
			Extended: []Block{{'X', "012W34.1"}, {'Y', "045N12.2"}}, Timestamp: "14:12:04,09-25-2026"}},
		{vecCIDPanic, Frame{ID: "ADM-CID", Seq: "0001", Line: "0", Account: "1234", AccountMark: '#', Data: []byte("#1234|1120 01 015"), Timestamp: "14:12:04,09-25-2024"}},
		{vecCIDRest, Frame{ID: "ADM-CID", Seq: "0002", Line: "0", Account: "1234", AccountMark: '#', Data: []byte("#1234|3120 01 015"), Timestamp: "14:12:04,09-25-2024"}},
		{vecCIDDuress, Frame{ID: "ADM-CID", Seq: "0003", Line: "0", Account: "1234", AccountMark: '#', Data: []byte("#1234|1121 01 003"), Timestamp: "14:12:04,09-25-2024"}},
		{vecSIAPA, Frame{ID: "SIA-DCS", Seq: "0005", Receiver: "1", Line: "1", Account: "1234", AccountMark: '#', Data: []byte("#1234|Nri1/PA015"), Timestamp: "14:12:04,09-25-2024"}},
		{vecSIAHA, Frame{ID: "SIA-DCS", Seq: "0006", Receiver: "1", Line: "1", Account: "1234", AccountMark: '#', Data: []byte("#1234|Nri1/HA004"),
			Extended: []Block{{'V', "https://vms.example/ev/42"}}, Timestamp: "14:12:04,09-25-2024"}},
		{vecNULL, Frame{ID: "NULL", Seq: "0000", Line: "0", Account: "1234", AccountMark: '#', Data: []byte{}, Timestamp: "14:12:04,09-25-2024"}},
		{vecACKCID, Frame{ID: "ACK", Seq: "0001", Line: "0", Account: "1234", AccountMark: '#', Data: []byte{}}},
		{vecACKPA, Frame{ID: "ACK", Seq: "0005", Receiver: "1", Line: "1", Account: "1234", AccountMark: '#', Data: []byte{}}},
		{vecEncrypted, Frame{ID: "SIA-DCS", Encrypted: true, Seq: "0007", Line: "0", Account: "1234", AccountMark: '#',
			Ciphertext: []byte(vecEncrypted[strings.IndexByte(vecEncrypted, '[')+1:])}},
	}
	for _, tt := range tests {
		t.Run(tt.in[:4], func(t *testing.T) {
			for _, in := range []string{tt.in, "\n" + tt.in + "\r"} {
				got, err := ParseFrame([]byte(in))
				if err != nil {
					t.Fatalf("ParseFrame(%q): %v", in, err)
				}
				want := tt.want
				want.CRC, want.Body = CRC([]byte(tt.in[8:])), []byte(tt.in[8:])
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("ParseFrame(%q)\n got %+v\nwant %+v", in, got, want)
				}
			}
		})
	}
}

func TestParseBinaryCRCAndDecimalLength(t *testing.T) {
	body := vecCIDPanic[8:] // 59 bytes: 003B in hex, 0059 in decimal
	crc := CRC([]byte(body))
	tests := []struct {
		name               string
		in                 string
		binary, decimalLen bool
	}{
		{"hex", vecCIDPanic, false, false},
		{"binary big-endian", string([]byte{byte(crc >> 8), byte(crc)}) + "003B" + body, true, false},
		{"binary little-endian", string([]byte{byte(crc), byte(crc >> 8)}) + "003B" + body, true, false},
		{"decimal length", hex4(crc) + "0059" + body, false, true},
		{"binary and decimal", string([]byte{byte(crc >> 8), byte(crc)}) + "0059" + body, true, true},
		{"lower-case hex CRC", strings.ToLower(hex4(crc)) + "003b" + body, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFrame([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if f.BinaryCRC != tt.binary || f.DecimalLength != tt.decimalLen || f.CRC != crc {
				t.Fatalf("BinaryCRC=%v DecimalLength=%v CRC=%04X, want %v %v %04X", f.BinaryCRC, f.DecimalLength, f.CRC, tt.binary, tt.decimalLen, crc)
			}
			if f.ID != "ADM-CID" || string(f.Data) != "#1234|1120 01 015" {
				t.Fatalf("parsed %+v", f)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	withCRC := func(body string) string { return hex4(CRC([]byte(body))) + hex4(uint16(len(body))) + body }
	tests := []struct {
		name, in, field string
	}{
		{"empty", "", "frame"},
		{"no quote", "F4D20029SIA-DCS", "frame"},
		{"bad crc", "F4D30029" + vecSIARR[8:], "crc"},
		{"crc not hex", "F4DZ0029" + vecSIARR[8:], "crc"},
		{"bad length", "F4D2002A" + vecSIARR[8:], "length"},
		{"id unclosed", withCRC(`"SIA-DCS0001#1234[]`), "id"},
		{"id lower case", withCRC(`"sia-dcs"0001#1234[]`), "id"},
		{"seq short", withCRC(`"SIA-DCS"001#1234[]`), "seq"},
		{"receiver too long", withCRC(`"SIA-DCS"0001R1234567#1234[]`), "receiver"},
		{"receiver empty", withCRC(`"SIA-DCS"0001RL1#1234[]`), "receiver"},
		{"account short", withCRC(`"SIA-DCS"0001#12[]`), "account"},
		{"account long", withCRC(`"SIA-DCS"0001#12345678901234567[]`), "account"},
		{"no bracket", withCRC(`"SIA-DCS"0001#1234`), "data"},
		{"data unclosed", withCRC(`"SIA-DCS"0001#1234[#1234|NPA1`), "data"},
		{"block unclosed", withCRC(`"SIA-DCS"0001#1234[#1234|NPA1][Vhttp`), "block"},
		{"bad timestamp", withCRC(`"SIA-DCS"0001#1234[]_25:12:04,09-25-2024`), "timestamp"},
		{"trailing", withCRC(`"SIA-DCS"0001#1234[]xyz`), "data"},
		{"ciphertext odd", withCRC(`"*SIA-DCS"0001#1234[ABC`), "ciphertext"},
		{"ciphertext not hex", withCRC(`"*SIA-DCS"0001#1234[` + strings.Repeat("G", 32)), "ciphertext"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFrame([]byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseFrame(%q) = %v, want a *ParseError", tt.in, err)
			}
			if pe.Field != tt.field {
				t.Fatalf("ParseFrame(%q): field %q (%v), want %q", tt.in, pe.Field, err, tt.field)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	if got, want := Escape([]byte("\n\x00ab\\c\xff\r")), `\x0A\x00ab\x5Cc\xFF\x0D`; got != want {
		t.Fatalf("Escape = %q, want %q", got, want)
	}
}
