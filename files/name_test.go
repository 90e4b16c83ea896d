package files

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestSafeName(t *testing.T) {
	long := strings.Repeat("é", 300) + ".pdf"
	cases := []struct {
		name, in, want string
	}{
		{"plain", "photo.jpg", "photo.jpg"},
		{"unix traversal", "../../etc/passwd", "passwd"},
		{"windows traversal", `..\..\boot.ini`, "boot.ini"},
		{"dot dot only", "..", "file"},
		{"hidden file", ".bashrc", "bashrc"},
		{"NUL", "a\x00b.png", "ab.png"},
		{"controls", "a\r\nb\tc.txt", "abc.txt"},
		{"bidi override", "invoice\u202Egpj.exe", "invoicegpj.exe"},
		{"reserved", `a<b>c:d"e|f?g*.txt`, "a_b_c_d_e_f_g_.txt"},
		{"NFD to NFC", "re\u0301sume\u0301.pdf", "r\u00e9sum\u00e9.pdf"},
		{"invalid UTF-8", "a\xff\xfeb.jpg", "ab.jpg"},
		{"empty", "", "file"},
		{"spaces and dots", "  . .  ", "file"},
		{"trailing dot", "x.pdf.", "x.pdf"},
		{"long keeps extension", long, strings.Repeat("é", 98) + ".pdf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := SafeName(c.in); got != c.want {
				t.Fatalf("SafeName(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"a.jpg", "../x", "a\x00b", "\u202E", strings.Repeat("ab", 200) + ".mp4", "é\u0301", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := SafeName(in)
		switch {
		case got == "":
			t.Fatal("empty name")
		case len(got) > maxNameBytes:
			t.Fatalf("%d bytes", len(got))
		case !utf8.ValidString(got):
			t.Fatalf("invalid UTF-8 %q", got)
		case strings.ContainsAny(got, "/\\\x00<>:\"|?*"):
			t.Fatalf("reserved character in %q", got)
		case strings.HasPrefix(got, "."), strings.HasSuffix(got, "."), got != strings.TrimSpace(got):
			t.Fatalf("leading or trailing dot or space in %q", got)
		case !norm.NFC.IsNormalString(got):
			t.Fatalf("not NFC: %q", got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("control or format rune %U in %q", r, got)
			}
		}
		if again := SafeName(got); again != got {
			t.Fatalf("not stable: %q then %q", got, again)
		}
	})
}
