package evidence

import (
	"strings"
	"testing"
)

func TestSafeName(t *testing.T) {
	long := strings.Repeat("é", 150) + ".mp4"
	tests := []struct{ in, want string }{
		{"Avant l'alarme — caméra Entrée.mp4", "Avant_l_alarme___caméra_Entrée.mp4"},
		{"../../etc/passwd", "_.._etc_passwd"},
		{".hidden", "hidden"},
		{"a\x00b.pdf", "a_b.pdf"},
		{long, strings.Repeat("é", 100) + ".mp4"},
		{"", "file"},
		{"x.<script>", "x.script"},
	}
	for _, tt := range tests {
		if got := safeName(tt.in); got != tt.want {
			t.Errorf("safeName(%q) = %q, want %q", tt.in, safeName(tt.in), tt.want)
		}
	}
}
