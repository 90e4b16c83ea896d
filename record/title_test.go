package record

import "testing"

func TestClipTitleNamesTheCameraOnce(t *testing.T) {
	tests := []struct{ name, fr, en string }{
		{"Cour", "Avant l'alarme — caméra Cour", "Before the alarm — camera Cour"},
		{"Caméra de démonstration", "Avant l'alarme — Caméra de démonstration", "Before the alarm — Caméra de démonstration"},
		{"CAMÉRA 2", "Avant l'alarme — CAMÉRA 2", "Before the alarm — CAMÉRA 2"},
		{"Camera entrance", "Avant l'alarme — Camera entrance", "Before the alarm — Camera entrance"},
		{"camera-3", "Avant l'alarme — camera-3", "Before the alarm — camera-3"},
		{"Caméra", "Avant l'alarme — Caméra", "Before the alarm — Caméra"},
		{"Cameraman", "Avant l'alarme — caméra Cameraman", "Before the alarm — camera Cameraman"},
		{"Cam", "Avant l'alarme — caméra Cam", "Before the alarm — camera Cam"},
		{"", "Avant l'alarme — caméra ", "Before the alarm — camera "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if fr, en := ClipTitle(tt.name); fr != tt.fr || en != tt.en {
				t.Fatalf("ClipTitle(%q) = %q, %q; want %q, %q", tt.name, fr, en, tt.fr, tt.en)
			}
		})
	}
}
