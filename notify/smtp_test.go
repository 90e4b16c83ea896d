package notify

import (
	"crypto/rand"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"vigie/internal/mailpittest"
)

const testFrom = "vigie <alerte@vigie.example>"

func mailpitTransport(t *testing.T, mp *mailpittest.Server, tlsMode string) *smtpTransport {
	t.Helper()
	tr, err := newSMTP(SMTPConfig{
		Host: "127.0.0.1", Port: mp.SMTPPort, Username: "vigie", Password: "secret",
		TLS: tlsMode, From: testFrom, HeloName: "vigie.test",
	}, mp.Roots)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// committee returns n invitations to distinct contacts, in both languages
// and every kind, each with its own link.
func committee(n int) []Message {
	kinds := []string{"holdup", "panic", "duress", "emergency", "other"}
	var msgs []Message
	for i := range n {
		lang := []string{"fr", "en"}[i%2]
		msgs = append(msgs, Message{
			ID: fmt.Sprintf("c%02d", i), Incident: "inc-smtp", Contact: fmt.Sprintf("contact-%02d", i),
			To: fmt.Sprintf("contact%02d@police.example", i), Name: fmt.Sprintf("Agent %02d", i), Lang: lang,
			Site: "Bureau de poste de Marseille Joliette", Address: "12 place de la Joliette, 13002 Marseille",
			Kind: kinds[i%len(kinds)], OccurredAt: t0, CentrePhone: "04 91 00 00 00",
			Link: fmt.Sprintf("https://vigie.example.org/j/inc-smtp/c%02d?t=%s&lang=%s", i, rand.Text(), lang),
		})
	}
	return msgs
}

// TestSMTPThroughMailpit sends a crisis committee's invitations through
// the outbox and the SMTP transport (STARTTLS, login) to a real SMTP
// server, and reads back what arrived. Mailpit refuses any message sent
// before STARTTLS, so a message that arrived went through TLS.
func TestSMTPThroughMailpit(t *testing.T) {
	mp := mailpittest.Start(t, "starttls")
	h := newHarness(t, mailpitTransport(t, mp, "starttls"), &fakeClock{}, func(c *OutboxConfig) {
		c.Now, c.Backoff = time.Now, []time.Duration{50 * time.Millisecond}
	})
	msgs := committee(50)

	start := time.Now()
	h.send(msgs...)
	for _, m := range msgs {
		h.waitStatus(m.ID, StateQueued)
		if st := h.nextStatus(m.ID); st.State != StateSent {
			t.Fatalf("%s: %s (%s)", m.ID, st.State, st.Error)
		}
	}
	t.Logf("%d invitations sent through Mailpit (STARTTLS, AUTH, %d at once) in %v",
		len(msgs), h.box.parallel, time.Since(start).Round(time.Millisecond))

	list := mp.Messages()
	if list.Total != len(msgs) || len(list.Messages) != len(msgs) {
		t.Fatalf("Mailpit holds %d messages (%d listed), want %d", list.Total, len(list.Messages), len(msgs))
	}
	byMessageID := make(map[string]mailpittest.Summary)
	for _, s := range list.Messages {
		byMessageID[s.MessageID] = s
	}
	for _, m := range msgs {
		want, err := Render(m)
		if err != nil {
			t.Fatal(err)
		}
		summary, ok := byMessageID["vigie."+m.ID+"@vigie.example"]
		if !ok {
			t.Errorf("%s: no message with Message-ID vigie.%s@vigie.example", m.ID, m.ID)
			continue
		}
		checkArrived(t, mp, summary.ID, m, want)
	}
}

func checkArrived(t *testing.T, mp *mailpittest.Server, id string, m Message, want Rendered) {
	t.Helper()
	got := mp.Message(id)
	if len(got.To) != 1 || got.To[0].Address != m.To || got.To[0].Name != m.Name {
		t.Errorf("%s: To %+v, want %s <%s>", m.ID, got.To, m.Name, m.To)
	}
	if got.From.Address != "alerte@vigie.example" || got.From.Name != "vigie" {
		t.Errorf("%s: From %+v", m.ID, got.From)
	}
	if got.Username != "vigie" {
		t.Errorf("%s: SMTP login %q, want vigie", m.ID, got.Username)
	}
	if got.Subject != want.Subject {
		t.Errorf("%s: subject %q, want %q", m.ID, got.Subject, want.Subject)
	}
	if !strings.Contains(strings.ReplaceAll(got.Text, "\r\n", "\n"), "\n"+m.Link+"\n") {
		t.Errorf("%s: text body lacks the link %s on a line of its own:\n%s", m.ID, m.Link, got.Text)
	}
	var links int
	for _, href := range hrefs(got.HTML) {
		if href == m.Link {
			links++
		}
	}
	if links != 2 {
		t.Errorf("%s: HTML body links %d times to %s, want 2", m.ID, links, m.Link)
	}
	headers := mp.Headers(id)
	if v := headers["Auto-Submitted"]; len(v) != 1 || v[0] != "auto-generated" {
		t.Errorf("%s: Auto-Submitted %q", m.ID, v)
	}
	if v := headers["Date"]; len(v) != 1 {
		t.Errorf("%s: Date %q", m.ID, v)
	} else if _, err := mail.ParseDate(v[0]); err != nil {
		t.Errorf("%s: Date %q: %v", m.ID, v[0], err)
	}
}

func TestSMTPErrorsThroughMailpit(t *testing.T) {
	mp := mailpittest.Start(t, "starttls", "--enable-chaos", "--smtp-allowed-recipients", `@police\.example$`)
	h := newHarness(t, mailpitTransport(t, mp, "starttls"), &fakeClock{}, func(c *OutboxConfig) {
		c.Now, c.Backoff = time.Now, []time.Duration{50 * time.Millisecond}
	})

	refused := invite("refused", "inc-smtp")
	refused.To = "nobody@elsewhere.example"
	h.send(refused)
	h.waitStatus("refused", StateQueued)
	if st := h.waitStatus("refused", StateFailed); !strings.Contains(st.Error, "550") {
		t.Errorf("a refused recipient: %+v, want the server's 550", st)
	}
	if m := h.stored("inc-smtp", "refused"); m.Attempts != 1 || m.NextAttemptAt != nil {
		t.Errorf("a refused recipient is stored as %+v, want one attempt and no retry", m)
	}

	mp.Chaos(451)
	h.send(invite("later", "inc-smtp"))
	h.waitStatus("later", StateQueued)
	if st := h.waitStatus("later", StateRetrying); !strings.Contains(st.Error, "451") {
		t.Errorf("a 451 reply: %+v", st)
	}
	mp.Chaos(0)
	for st := h.nextStatus("later"); st.State != StateSent; st = h.nextStatus("later") {
		if st.State != StateRetrying {
			t.Fatalf("after the server recovered: %+v", st)
		}
	}
	if list := mp.Messages(); list.Total != 1 || list.Messages[0].To[0].Address != "later@police.example" {
		t.Errorf("Mailpit holds %+v, want only the retried message", list)
	}
}

func TestSMTPVerifiesTheServerCertificate(t *testing.T) {
	mp := mailpittest.Start(t, "starttls")
	tr, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: mp.SMTPPort, From: testFrom}) // the system's roots
	if err != nil {
		t.Fatal(err)
	}
	r, err := Render(invite("m1", "inc-1"))
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(t.Context(), r)
	if err == nil || errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("sending to a server with an unknown certificate: %v, want a certificate error to retry", err)
	}
	if n := mp.Messages().Total; n != 0 {
		t.Errorf("%d messages arrived", n)
	}
}

func TestSMTPImplicitTLS(t *testing.T) {
	mp := mailpittest.Start(t, "implicit")
	m := invite("m1", "inc-1")
	r, err := Render(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := mailpitTransport(t, mp, "implicit").Send(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	list := mp.Messages()
	if list.Total != 1 {
		t.Fatalf("Mailpit holds %d messages, want 1", list.Total)
	}
	checkArrived(t, mp, list.Messages[0].ID, m, r)
}

func TestNewSMTPChecksItsConfig(t *testing.T) {
	for _, cfg := range []SMTPConfig{
		{From: testFrom},
		{Host: "smtp.example.org"},
		{Host: "smtp.example.org", From: "not an address"},
		{Host: "smtp.example.org", From: testFrom, TLS: "ssl"},
		{Host: "smtp.example.org", From: testFrom, Port: 70000},
	} {
		if _, err := NewSMTP(cfg); err == nil {
			t.Errorf("NewSMTP accepted %+v", cfg)
		}
	}
}
