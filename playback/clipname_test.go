package playback

import (
	"testing"
	"time"

	"vigie/files"
	"vigie/record"
)

// A clip's name reads as written in docs/recording.md, and room files keep
// it as is.
func TestClipName(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	span := record.Span{From: time.Date(2026, 12, 4, 13, 2, 10, 0, time.UTC), To: time.Date(2026, 12, 4, 13, 3, 0, 0, time.UTC)}
	tests := []struct{ camera, want string }{
		{"Cour", "Enregistrement — caméra Cour 14h02m10–14h03m00 (Recorded — camera Cour 14h02m10–14h03m00).mp4"},
		{"Caméra de démonstration", "Enregistrement — Caméra de démonstration 14h02m10–14h03m00 (Recorded — Caméra de démonstration 14h02m10–14h03m00).mp4"},
	}
	for _, tt := range tests {
		t.Run(tt.camera, func(t *testing.T) {
			got := clipName(tt.camera, span, paris)
			if got != tt.want {
				t.Fatalf("clipName = %q, want %q", got, tt.want)
			}
			if safe := files.SafeName(got); safe != got {
				t.Fatalf("room files rename it %q", safe)
			}
		})
	}
}
