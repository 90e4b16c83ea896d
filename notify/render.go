package notify

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htemplate "html/template"
	"net/url"
	"strings"
	ttemplate "text/template"
	"time"
	_ "time/tzdata" // Paris time even where the system has no zoneinfo (a bare container)
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// renderer holds the parsed templates, so that an outbox parses them once.
type renderer struct {
	text  *ttemplate.Template
	html  *htemplate.Template
	paris *time.Location
}

func newRenderer() (*renderer, error) {
	text, err := ttemplate.ParseFS(templateFS, "templates/invitation.txt.tmpl")
	if err != nil {
		return nil, fmt.Errorf("text template: %w", err)
	}
	html, err := htemplate.ParseFS(templateFS, "templates/invitation.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("html template: %w", err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		return nil, fmt.Errorf("time zone: %w", err)
	}
	return &renderer{text: text, html: html, paris: paris}, nil
}

// Render writes the invitation m in its language, as a text part and an HTML
// part carrying the same words and the same link, unaltered.
func Render(m Message) (Rendered, error) {
	r, err := newRenderer()
	if err != nil {
		return Rendered{}, fmt.Errorf("render invitation %q: %w", m.ID, err)
	}
	return r.render(m)
}

// invitation is what the templates see.
type invitation struct {
	W        wording
	Subject  string
	Kind     string
	Site     string
	Address  string
	Time     string
	Name     string
	Link     string
	Phone    string
	PhoneURI htemplate.URL // tel: URI made of digits only, or "" when there are none
}

func (r *renderer) render(m Message) (Rendered, error) {
	if err := checkLink(m.Link); err != nil {
		return Rendered{}, fmt.Errorf("render invitation %q: %w", m.ID, err)
	}
	w := wordingFor(m.Lang)
	inv := invitation{
		W:       w,
		Kind:    kindName(m.Lang, m.Kind),
		Site:    oneLine(m.Site),
		Address: oneLine(m.Address),
		Time:    alarmTime(m.Lang, m.OccurredAt, r.paris),
		Name:    oneLine(m.Name),
		Link:    m.Link,
		Phone:   oneLine(m.CentrePhone),
	}
	inv.PhoneURI = telURI(inv.Phone)
	subject := []string{"[" + w.Alert + "] " + inv.Kind}
	if inv.Site != "" {
		subject = append(subject, inv.Site)
	}
	inv.Subject = strings.Join(append(subject, w.JoinRoom), " — ")

	var text, html bytes.Buffer
	if err := r.text.Execute(&text, inv); err != nil {
		return Rendered{}, fmt.Errorf("render invitation %q: text: %w", m.ID, err)
	}
	if err := r.html.Execute(&html, inv); err != nil {
		return Rendered{}, fmt.Errorf("render invitation %q: html: %w", m.ID, err)
	}
	return Rendered{
		To:        strings.TrimSpace(m.To),
		ToName:    inv.Name,
		Subject:   inv.Subject,
		Text:      text.String(),
		HTML:      html.String(),
		MessageID: messageID(m.ID),
	}, nil
}

// messageID is the left part of the Message-ID of an outbox message: the
// same for every attempt, so that a mail system seeing it twice can tell.
func messageID(outboxID string) string {
	if outboxID == "" {
		return ""
	}
	return "vigie." + outboxID
}

// checkLink accepts an absolute http(s) URL written only with the
// characters a URL may hold as they are, so that no template needs to
// escape it: the address in the e-mail is exactly the one issued.
func checkLink(link string) error {
	if link == "" {
		return errors.New("no join link")
	}
	for _, c := range link {
		if !urlChar(c) {
			return fmt.Errorf("join link %q: character %q must be percent-encoded", link, c)
		}
	}
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("join link: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("join link %q: not an absolute http(s) URL", link)
	}
	return nil
}

// urlChar reports whether c may appear as it is in a URL (RFC 3986:
// unreserved, reserved and the percent sign).
func urlChar(c rune) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.ContainsRune("-._~:/?#[]@!$&'()*+,;=%", c)
}

// oneLine turns line breaks, tabs and other control characters into spaces:
// a site or person name goes into a header and must stay on one line.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// telURI makes a tel: URI of the digits of a phone number, keeping a
// leading "+". Built from digits only, it is safe to put in an href.
func telURI(phone string) htemplate.URL {
	var b strings.Builder
	for i, c := range phone {
		if ('0' <= c && c <= '9') || (c == '+' && i == 0) {
			b.WriteRune(c)
		}
	}
	if strings.Trim(b.String(), "+") == "" {
		return ""
	}
	return htemplate.URL("tel:" + b.String())
}
