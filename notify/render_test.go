package notify

import (
	"bytes"
	"errors"
	"html"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The link carries characters that HTML must escape (&) and that a URL
// normaliser might be tempted to touch (%, ~, =).
const testLink = "https://vigie.example.org/j/inc-42?t=eyJh.b-c_d~e%2F&lang=fr"

func testMessage(lang, kind string) Message {
	return Message{
		ID: "m1", Incident: "inc-42", Contact: "c-7", To: "jeanne.martin@police.example", Name: "Jeanne Martin",
		Lang: lang, Site: "Bureau de poste de Marseille Joliette", Address: "12 place de la Joliette, 13002 Marseille",
		Kind: kind, OccurredAt: time.Date(2025, 3, 14, 8, 41, 7, 0, time.UTC), Link: testLink,
		CentrePhone: "+33 4 91 00 00 00",
	}
}

// hrefs returns the targets of the links of an HTML document, unescaped as a
// browser reads them.
func hrefs(doc string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(doc, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestRenderLanguagesAndKinds(t *testing.T) {
	tests := []struct {
		lang, kind, wantKind string
	}{
		{"fr", "holdup", "Agression"},
		{"fr", "panic", "Alarme panique"},
		{"fr", "duress", "Contrainte"},
		{"fr", "emergency", "Urgence"},
		{"fr", "other", "Alarme"},
		{"fr", "unheard-of", "Alarme"},
		{"en", "holdup", "Hold-up"},
		{"en", "panic", "Panic alarm"},
		{"en", "duress", "Duress"},
		{"en", "emergency", "Emergency"},
		{"en", "other", "Alarm"},
		{"", "holdup", "Agression"}, // French unless asked otherwise
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.kind, func(t *testing.T) {
			r, err := Render(testMessage(tt.lang, tt.kind))
			if err != nil {
				t.Fatal(err)
			}
			site := "Bureau de poste de Marseille Joliette"
			wantSubject := "[ALERTE] " + tt.wantKind + " — " + site + " — rejoindre la cellule de crise"
			wantTime, wantLang, wantPersonal := "14/03/2025 à 09:41:07 (heure de Paris)", `lang="fr"`, "ne le transférez pas"
			if tt.lang == "en" {
				wantSubject = "[ALERT] " + tt.wantKind + " — " + site + " — join the crisis room"
				wantTime, wantLang, wantPersonal = "14 March 2025, 08:41:07 UTC", `lang="en"`, "do not forward it"
			}
			if r.Subject != wantSubject {
				t.Errorf("subject %q, want %q", r.Subject, wantSubject)
			}
			if r.To != "jeanne.martin@police.example" || r.ToName != "Jeanne Martin" || r.MessageID != "vigie.m1" {
				t.Errorf("to %q name %q message id %q", r.To, r.ToName, r.MessageID)
			}
			for part, body := range map[string]string{"text": r.Text, "html": r.HTML} {
				for _, want := range []string{tt.wantKind, site, "13002 Marseille", wantTime, wantPersonal, "33 4 91 00 00 00"} {
					if !strings.Contains(body, want) {
						t.Errorf("%s part lacks %q", part, want)
					}
				}
			}
			if !strings.Contains(r.HTML, wantLang) {
				t.Errorf("html lacks %s", wantLang)
			}
			checkLinkUnaltered(t, r)
		})
	}
}

func checkLinkUnaltered(t *testing.T, r Rendered) {
	t.Helper()
	if !strings.Contains(r.Text, "\n"+testLink+"\n") {
		t.Errorf("text part lacks the link on a line of its own:\n%s", r.Text)
	}
	if got := joinLink(r.Text); got != testLink {
		t.Errorf("link found in the text part: %q, want %q", got, testLink)
	}
	links := 0
	for _, h := range hrefs(r.HTML) {
		switch {
		case h == testLink:
			links++
		case strings.HasPrefix(h, "tel:"):
		default:
			t.Errorf("html links to %q, want only %q and the phone", h, testLink)
		}
	}
	if links != 2 { // the button, and the link written out
		t.Errorf("html has the link %d times as href, want 2", links)
	}
	if !strings.Contains(r.HTML, ">"+html.EscapeString(testLink)+"</a>") {
		t.Error("html does not show the link as text")
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	m := testMessage("fr", "holdup")
	m.Site = "Bureau <b>de</b> poste & Co"
	m.Name = `Jeanne "<script>" Martin`
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"<b>de</b>", "<script>", "& Co"} {
		if strings.Contains(r.HTML, raw) {
			t.Errorf("html holds %q unescaped", raw)
		}
	}
	if !strings.Contains(r.HTML, "Bureau &lt;b&gt;de&lt;/b&gt; poste &amp; Co") {
		t.Error("html lacks the escaped site name")
	}
	if !strings.Contains(r.Text, "Bureau <b>de</b> poste & Co") || !strings.Contains(r.Subject, "Bureau <b>de</b> poste & Co") {
		t.Error("text part or subject altered the site name")
	}
}

func TestRenderKeepsHeadersOnOneLine(t *testing.T) {
	m := testMessage("en", "panic")
	m.Site = "Lyon 3\r\nBcc: everyone@example.org"
	m.Name = "Jeanne\nMartin"
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(r.Subject+r.ToName, "\r\n") {
		t.Errorf("subject %q or name %q spans lines", r.Subject, r.ToName)
	}
	if r.Subject != "[ALERT] Panic alarm — Lyon 3 Bcc: everyone@example.org — join the crisis room" {
		t.Errorf("subject %q", r.Subject)
	}
}

func TestRenderOptionalParts(t *testing.T) {
	m := testMessage("fr", "holdup")
	m.Name, m.Address, m.CentrePhone, m.Site, m.OccurredAt, m.ID = "", "", "", "", time.Time{}, ""
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if r.Subject != "[ALERTE] Agression — rejoindre la cellule de crise" {
		t.Errorf("subject %q", r.Subject)
	}
	for _, absent := range []string{"Adresse", "Déclenchée", "télésurveillance", "tel:"} {
		if strings.Contains(r.Text, absent) || strings.Contains(r.HTML, absent) {
			t.Errorf("%q shown without a value", absent)
		}
	}
	if !strings.Contains(r.Text, "Bonjour,") || r.MessageID != "" {
		t.Errorf("greeting or message id wrong: %q", r.MessageID)
	}
}

func TestRenderParisSummerTime(t *testing.T) {
	m := testMessage("fr", "holdup")
	m.OccurredAt = time.Date(2025, 7, 14, 8, 0, 0, 0, time.UTC)
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "14/07/2025 à 10:00:00 (heure de Paris)") {
		t.Errorf("summer time not applied:\n%s", r.Text)
	}
}

func TestRenderRefusesBadLinks(t *testing.T) {
	for _, link := range []string{
		"", "javascript:alert(1)", "/j/relative", "https://vigie.example.org/j/é",
		"https://vigie.example.org/j/a b", `https://vigie.example.org/j/"x"`, "ftp://vigie.example.org/j/x",
	} {
		m := testMessage("fr", "holdup")
		m.Link = link
		if _, err := Render(m); err == nil {
			t.Errorf("Render accepted the link %q", link)
		}
	}
}

func TestConsoleLogsTheLink(t *testing.T) {
	var buf bytes.Buffer
	tr := NewConsole(slog.New(slog.NewTextHandler(&buf, nil)))
	r, err := Render(testMessage("fr", "holdup"))
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Send(t.Context(), r); !errors.Is(err, ErrNoMailServer) || !errors.Is(err, ErrRejected) {
		t.Fatalf("console Send: %v, want a final ErrNoMailServer", err)
	}
	out := buf.String()
	for _, want := range []string{"level=WARN", "to=jeanne.martin@police.example", "link=" + `"` + testLink + `"`} {
		if !strings.Contains(out, want) {
			t.Errorf("console log lacks %q:\n%s", want, out)
		}
	}
}
