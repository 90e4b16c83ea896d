package files

import (
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxNameBytes bounds a display name: most file systems take 255 bytes.
const maxNameBytes = 200

// SafeName turns a name sent by a browser into a safe display name: the
// last path element only, NFC-normalised, without control, format (bidi
// overrides) or reserved characters, no leading dot, at most 200 bytes with
// its extension kept. It never returns "".
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = norm.NFC.String(name)
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), r == utf8.RuneError:
			return -1
		case unicode.IsSpace(r):
			return ' '
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = norm.NFC.String(name) // removing a rune may leave a sequence to compose
	name = strings.TrimRight(strings.TrimLeft(cutName(name), ". "), ". ")
	if name == "" {
		return "file"
	}
	return name
}

// cutName shortens name to maxNameBytes on a rune boundary, keeping a short
// extension.
func cutName(name string) string {
	if len(name) <= maxNameBytes {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 || !utf8.ValidString(ext) {
		ext = ""
	}
	base := name[:len(name)-len(ext)]
	keep := maxNameBytes - len(ext)
	for keep > 0 && !utf8.RuneStart(base[keep]) {
		keep--
	}
	return strings.TrimRight(base[:keep], ". ") + ext
}
