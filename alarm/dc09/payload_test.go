package dc09

import (
	"reflect"
	"testing"
)

func TestParseContactID(t *testing.T) {
	tests := []struct {
		in      string
		want    ContactID
		wantErr bool
	}{
		{in: "#1234|1120 01 015", want: ContactID{'1', "120", "01", "015"}},
		{in: "#1234|3120 01 015", want: ContactID{'3', "120", "01", "015"}},
		{in: "#1234|1121 01 003", want: ContactID{'1', "121", "01", "003"}},
		{in: "1602 00 000", want: ContactID{'1', "602", "00", "000"}},
		{in: "#1234|612001015", want: ContactID{'6', "120", "01", "015"}},
		{in: "#1234|2120 01 015", wantErr: true},
		{in: "#1234|1120 01", wantErr: true},
		{in: "#1234|1120 01 01Z", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseContactID([]byte(tt.in))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseContactID(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if s := (ContactID{'1', "120", "01", "015"}).String(); s != "1120 01 015" {
		t.Errorf("String = %q", s)
	}
}

func TestParseSIA(t *testing.T) {
	tests := []struct {
		in      string
		want    SIAData
		wantErr bool
	}{
		{in: "#1234|NRR|Atest", want: SIAData{Events: []SIAEvent{{Code: "RR"}}, Text: "test"}},
		{in: "#0123|Nti20:50:26RP99", want: SIAData{Events: []SIAEvent{{Code: "RP", Address: "99", Time: "20:50:26"}}}},
		{in: "#78919|Nri1/BA012", want: SIAData{Events: []SIAEvent{{Code: "BA", Address: "012", Area: "1"}}}},
		{in: "#1234|Nri1/PA015", want: SIAData{Events: []SIAEvent{{Code: "PA", Address: "015", Area: "1"}}}},
		{in: "#1234|Nri1/HA004", want: SIAData{Events: []SIAEvent{{Code: "HA", Address: "004", Area: "1"}}}},
		{in: "Nri2/id3/ti08:01/PA015^Front desk^/PR015", want: SIAData{Events: []SIAEvent{
			{Code: "PA", Address: "015", Area: "2", User: "3", Time: "08:01", Text: "Front desk"},
			{Code: "PR", Address: "015", Area: "2", User: "3", Time: "08:01"},
		}}},
		{in: "#1234|N", wantErr: true},
		{in: "#1234|Nri1/P", wantErr: true},
		{in: "#1234|N#PA1", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSIA([]byte(tt.in))
		if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseSIA(%q) = %+v, %v; want %+v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSplitAccount(t *testing.T) {
	tests := []struct{ in, acct, rest string }{
		{"#1234|NPA1", "1234", "NPA1"},
		{"NPA1", "", "NPA1"},
		{"#1234", "", "#1234"},
		{"", "", ""},
	}
	for _, tt := range tests {
		a, r := SplitAccount([]byte(tt.in))
		if a != tt.acct || string(r) != tt.rest {
			t.Errorf("SplitAccount(%q) = %q, %q", tt.in, a, r)
		}
	}
}
