package notify

import (
	"context"
	"errors"
	"log/slog"
	"strings"
)

// console is the transport without a mail server (`vigie serve --demo`, or
// no smtp.host): it writes who should receive which link to the log, so the
// link can be opened or passed on from the terminal, and reports the e-mail
// as not sent, for good. The invitation then reads "failed" with the reason:
// nobody may believe the police were e-mailed when they were not.
type console struct {
	log *slog.Logger
}

// ErrNoMailServer is why an invitation failed when no mail server is set.
var ErrNoMailServer = errors.New("no mail server is configured (smtp.host): the link is in the server's log, not e-mailed")

// NewConsole returns a transport that logs each invitation's recipient and
// link instead of sending it, and fails it with ErrNoMailServer.
func NewConsole(log *slog.Logger) Transport {
	if log == nil {
		log = slog.Default()
	}
	return console{log: log}
}

func (c console) Send(ctx context.Context, m Rendered) error {
	c.log.WarnContext(ctx, "invitation e-mail not sent: no mail server; pass the link on yourself",
		"to", m.To, "name", m.ToName, "subject", m.Subject, "link", joinLink(m.Text))
	return rejected(ErrNoMailServer)
}

// joinLink finds the link in an invitation's text part, where it stands
// alone on its line.
func joinLink(text string) string {
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "https://") || strings.HasPrefix(line, "http://") {
			return line
		}
	}
	return ""
}
