package signaling

import (
	"reflect"
	"testing"

	"github.com/pion/webrtc/v4"
)

func TestParseSDPFrag(t *testing.T) {
	mid0, mid1 := "0", "1"
	idx0 := uint16(0)
	tests := []struct {
		name    string
		body    string
		ufrag   string
		cands   []webrtc.ICECandidateInit
		wantErr bool
	}{
		{"one m-line with mid", "a=ice-ufrag:abcd\r\na=ice-pwd:secret\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1 5000 typ host\r\na=end-of-candidates\r\n",
			"abcd", []webrtc.ICECandidateInit{{Candidate: "candidate:1 1 udp 1 192.0.2.1 5000 typ host", SDPMid: &mid0}}, false},
		{"two m-lines", "m=audio 9 RTP/AVP 0\na=mid:0\na=candidate:1 1 udp 1 192.0.2.1 5000 typ host\nm=video 9 RTP/AVP 0\na=mid:1\na=candidate:2 1 udp 1 192.0.2.1 5002 typ host\n",
			"", []webrtc.ICECandidateInit{
				{Candidate: "candidate:1 1 udp 1 192.0.2.1 5000 typ host", SDPMid: &mid0},
				{Candidate: "candidate:2 1 udp 1 192.0.2.1 5002 typ host", SDPMid: &mid1},
			}, false},
		{"no mid: m-line index", "m=audio 9 RTP/AVP 0\na=candidate:1 1 udp 1 192.0.2.1 5000 typ host\n",
			"", []webrtc.ICECandidateInit{{Candidate: "candidate:1 1 udp 1 192.0.2.1 5000 typ host", SDPMLineIndex: &idx0}}, false},
		{"end of candidates only", "a=end-of-candidates\r\n", "", nil, false},
		{"empty", "", "", nil, false},
		{"not SDP", "hello world", "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseSDPFrag(tt.body)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if f.ufrag != tt.ufrag || !reflect.DeepEqual(f.candidates, tt.cands) {
				t.Fatalf("got ufrag %q candidates %+v; want %q %+v", f.ufrag, f.candidates, tt.ufrag, tt.cands)
			}
		})
	}
}

func FuzzParseSDPFrag(f *testing.F) {
	f.Add("a=ice-ufrag:x\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\na=candidate:1 1 udp 1 192.0.2.1 5000 typ host\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		frag, err := parseSDPFrag(body)
		if err == nil {
			for _, c := range frag.candidates {
				if c.SDPMid == nil && c.SDPMLineIndex == nil {
					t.Fatal("candidate tied to no m-line")
				}
			}
		}
	})
}
