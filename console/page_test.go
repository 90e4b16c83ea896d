package console

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The console's page lives with the other static files in web/static; these checks keep it in
// step with its sentences and with this package, which a typo would only break in a browser.

var (
	keyLine   = regexp.MustCompile(`(?m)^\s*'([a-zA-Z0-9_.]+)':\s*'`)
	keyInJS   = regexp.MustCompile(`\bt\(\s*'([a-zA-Z0-9_.]+)'`)
	keyInHTML = regexp.MustCompile(`data-i18n(?:-label|-placeholder)?="([a-zA-Z0-9_.]+)"`)
	byIDInJS  = regexp.MustCompile(`byId\(\s*'([a-zA-Z0-9_-]+)'`)
	idInHTML  = regexp.MustCompile(`\sid="([a-zA-Z0-9_-]+)"`)
	kindRadio = regexp.MustCompile(`name="kind" value="([a-z]+)"`)
)

func static(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "web", "static", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func consoleScripts(t *testing.T) map[string]string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("..", "web", "static", "js", "console*.js"))
	if err != nil || len(names) < 3 {
		t.Fatalf("console scripts: %v %v", names, err)
	}
	out := map[string]string{}
	for _, n := range names {
		out[filepath.Base(n)] = static(t, filepath.Join("js", filepath.Base(n)))
	}
	return out
}

func TestConsoleSentencesInBothLanguages(t *testing.T) {
	src := static(t, "js/console-i18n.js")
	enAt, frAt := strings.Index(src, "\n  en: {"), strings.Index(src, "\n  fr: {")
	end := strings.Index(src[frAt:], "\n  },") + frAt
	if enAt < 0 || frAt < enAt || end < frAt {
		t.Fatal("console-i18n.js: cannot find the en and fr blocks")
	}
	keys := func(block string) map[string]bool {
		set := map[string]bool{}
		for _, m := range keyLine.FindAllStringSubmatch(block, -1) {
			set[m[1]] = true
		}
		return set
	}
	en, fr := keys(src[enAt:frAt]), keys(src[frAt:end])
	if len(en) < 40 {
		t.Fatalf("only %d English keys", len(en))
	}
	for k := range en {
		if !fr[k] {
			t.Errorf("%q has no French text", k)
		}
	}
	for k := range fr {
		if !en[k] {
			t.Errorf("%q has no English text", k)
		}
	}
	uses := keyInHTML.FindAllStringSubmatch(static(t, "console.html"), -1)
	for _, js := range consoleScripts(t) {
		uses = append(uses, keyInJS.FindAllStringSubmatch(js, -1)...)
	}
	for _, m := range uses {
		if !en[m[1]] {
			t.Errorf("the console asks for %q, which console-i18n.js lacks", m[1])
		}
	}
	// Words for what the server sends: kinds, invitation states, roles, error codes.
	for _, k := range append(kinds(), "other") {
		if !en["kind."+k] {
			t.Errorf("no words for the alarm kind %s", k)
		}
	}
	for _, s := range []string{"created", "sent", "failed", "retrying", "opened", "joined", "revoked"} {
		if !en["state."+s] {
			t.Errorf("no words for the invitation state %s", s)
		}
	}
	for _, r := range []string{"responder", "committee", "observer"} {
		if !en["role."+r] {
			t.Errorf("no words for the role %s", r)
		}
	}
}

func TestConsolePageElements(t *testing.T) {
	page := static(t, "console.html")
	ids := map[string]bool{}
	for _, m := range idInHTML.FindAllStringSubmatch(page, -1) {
		ids[m[1]] = true
	}
	for name, js := range consoleScripts(t) {
		for _, m := range byIDInJS.FindAllStringSubmatch(js, -1) {
			if !ids[m[1]] {
				t.Errorf("%s: no element #%s in console.html", name, m[1])
			}
		}
	}
	var radios []string
	for _, m := range kindRadio.FindAllStringSubmatch(page, -1) {
		radios = append(radios, m[1])
	}
	if !slices.Equal(radios, kinds()) {
		t.Errorf("the alarm dialog offers %v, the server accepts %v", radios, kinds())
	}
	for _, bad := range []string{"<script>", "style=", "<style", "onclick=", "javascript:", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("console.html contains %q", bad)
		}
	}
}
