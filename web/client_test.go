package web

import (
	"path"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The client's sentences live in js/i18n.js as two blocks, en and fr, of 'key': 'text' lines.
// A key missing in one language would show English to a French reader (or the raw key), so the
// two blocks must hold the same keys, and every key the pages and modules ask for must exist.

var (
	i18nKeyLine  = regexp.MustCompile(`(?m)^\s*'([a-zA-Z0-9_.]+)':\s*'`)
	i18nUseInJS  = regexp.MustCompile(`\bt\(\s*'([a-zA-Z0-9_.]+)'`)
	i18nUseInDOM = regexp.MustCompile(`data-i18n(?:-label|-placeholder|-title)?="([a-zA-Z0-9_.]+)"`)
	byIDUse      = regexp.MustCompile(`byId\(\s*'([a-zA-Z0-9_-]+)'`)
	byIDTemplate = regexp.MustCompile("byId\\(\\s*`([a-zA-Z0-9_-]*)\\$\\{id\\}([a-zA-Z0-9_-]*)`")
	htmlID       = regexp.MustCompile(`\sid="([a-zA-Z0-9_-]+)"`)
)

func translationBlocks(t *testing.T) (en, fr map[string]bool) {
	t.Helper()
	src := string(loadStaticFiles()["js/i18n.js"].data)
	enAt := strings.Index(src, "\n  en: {")
	frAt := strings.Index(src, "\n  fr: {")
	end := strings.Index(src[frAt:], "\n  },") + frAt
	if enAt < 0 || frAt < enAt || end < frAt {
		t.Fatal("js/i18n.js: cannot find the en and fr blocks")
	}
	keys := func(block string) map[string]bool {
		set := map[string]bool{}
		for _, m := range i18nKeyLine.FindAllStringSubmatch(block, -1) {
			set[m[1]] = true
		}
		return set
	}
	return keys(src[enAt:frAt]), keys(src[frAt:end])
}

func TestTranslationsHaveTheSameKeys(t *testing.T) {
	en, fr := translationBlocks(t)
	if len(en) < 50 {
		t.Fatalf("only %d English keys found: is js/i18n.js still in the expected shape?", len(en))
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
}

// roomPageFile tells the room page's files (room.html and its modules, which share js/i18n.js)
// from the operator console's, which have their own pages, ids and sentences.
func roomPageFile(name string) bool {
	return !strings.HasPrefix(path.Base(name), "console")
}

func TestEveryTranslationUsedExists(t *testing.T) {
	en, _ := translationBlocks(t)
	for name, f := range loadStaticFiles() {
		if !roomPageFile(name) {
			continue
		}
		var uses [][]string
		switch {
		case strings.HasSuffix(name, ".js"):
			uses = i18nUseInJS.FindAllStringSubmatch(string(f.data), -1)
		case strings.HasSuffix(name, ".html"):
			uses = i18nUseInDOM.FindAllStringSubmatch(string(f.data), -1)
		}
		for _, m := range uses {
			if !en[m[1]] {
				t.Errorf("%s asks for the sentence %q, which js/i18n.js lacks", name, m[1])
			}
		}
	}
	// Every protocol error code has its own words (docs/protocol.md), except those a person
	// never causes and that fall back to the generic sentence.
	for _, code := range []string{"token_missing", "token_invalid", "token_expired", "token_wrong_room",
		"room_not_found", "room_closed", "replaced", "negotiation_failed", "too_large", "internal",
		"invitation_revoked", "forbidden", "incident_closed"} {
		for _, part := range []string{"title", "advice"} {
			if key := "error." + code + "." + part; !en[key] {
				t.Errorf("no sentence %q for the protocol error %s", key, code)
			}
		}
	}
	// The pre-join page names every kind of alarm an incident opens for (alarm.Kind*), and the
	// roles of incident invitations in the participant list.
	for _, kind := range []string{"holdup", "panic", "duress", "emergency", "other"} {
		if key := "incident.kind." + kind; !en[key] {
			t.Errorf("no words %q for the alarm kind %s", key, kind)
		}
	}
	for _, role := range []string{"operator", "participant", "responder", "committee", "observer"} {
		if key := "role." + role; !en[key] {
			t.Errorf("no words %q for the role %s", key, role)
		}
	}
}

// The room modules find their elements by id; a renamed id in room.html would only fail in a
// browser, on the screen that needs it.
func TestRoomElementsExist(t *testing.T) {
	files := loadStaticFiles()
	ids := map[string]bool{}
	for _, m := range htmlID.FindAllStringSubmatch(string(files["room.html"].data), -1) {
		ids[m[1]] = true
	}
	var missing []string
	for name, f := range files {
		if !strings.HasPrefix(name, "js/") || name == "js/landing.js" || !roomPageFile(name) {
			continue
		}
		src := string(f.data)
		for _, m := range byIDUse.FindAllStringSubmatch(src, -1) {
			if !ids[m[1]] {
				missing = append(missing, name+": #"+m[1])
			}
		}
		// byId(`${id}-field`) in the device pickers: each picker's field must exist.
		for _, m := range byIDTemplate.FindAllStringSubmatch(src, -1) {
			for _, picker := range []string{"pick-camera", "pick-mic", "pick-speaker"} {
				if id := m[1] + picker + m[2]; !ids[id] {
					missing = append(missing, name+": #"+id)
				}
			}
		}
	}
	// The ids the end-to-end tests rely on.
	for _, id := range []string{"prejoin", "display-name", "join-button", "prejoin-error", "prejoin-cam-off",
		"prejoin-mic-off", "call", "tiles", "btn-mic", "btn-cam", "btn-screen", "btn-chat", "btn-people",
		"btn-leave", "chat-panel", "chat-messages", "chat-input", "chat-send", "people-panel", "banner",
		"incident", "incident-kind", "incident-site", "incident-address", "role-note"} {
		if !ids[id] {
			missing = append(missing, "room.html: #"+id)
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no element %s", m)
	}
}
