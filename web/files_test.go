package web

import (
	"regexp"
	"strings"
	"testing"
)

var (
	filesUseInJS  = regexp.MustCompile(`\bft\(\s*'([a-zA-Z0-9_.]+)'`)
	filesUseInDOM = regexp.MustCompile(`data-files-i18n(?:-label)?="([a-zA-Z0-9_.]+)"`)
	filesKey      = regexp.MustCompile(`(?m)^\s*'(files\.[a-zA-Z0-9_.]+)':`)
)

// The files panel's sentences live in js/files-i18n.js: every one the page asks for exists in
// English and in French.
func TestFilesTranslations(t *testing.T) {
	static := loadStaticFiles()
	src := string(static["js/files-i18n.js"].data)
	en, fr, ok := strings.Cut(src, "\n  fr: {")
	if !ok {
		t.Fatal("js/files-i18n.js has no fr block")
	}
	keys := func(block string) map[string]bool {
		m := map[string]bool{}
		for _, k := range filesKey.FindAllStringSubmatch(block, -1) {
			m[k[1]] = true
		}
		return m
	}
	enKeys, frKeys := keys(en), keys(fr)
	if len(enKeys) == 0 || len(enKeys) != len(frKeys) {
		t.Fatalf("%d English and %d French sentences", len(enKeys), len(frKeys))
	}
	used := 0
	for name, f := range static {
		var uses [][]string
		switch {
		case strings.HasSuffix(name, ".js"):
			uses = filesUseInJS.FindAllStringSubmatch(string(f.data), -1)
		case strings.HasSuffix(name, ".html"):
			uses = filesUseInDOM.FindAllStringSubmatch(string(f.data), -1)
		}
		for _, m := range uses {
			used++
			if !enKeys[m[1]] || !frKeys[m[1]] {
				t.Errorf("%s asks for %q, missing in English or French", name, m[1])
			}
		}
	}
	if used < 10 {
		t.Fatalf("only %d uses of the files sentences found", used)
	}
	for _, id := range []string{"btn-files", "files-panel", "files-list", "files-input", "files-add", "files-drop"} {
		if !strings.Contains(string(static["room.html"].data), `id="`+id+`"`) {
			t.Errorf("room.html has no #%s", id)
		}
	}
}
