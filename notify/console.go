package notify

import (
	"context"
	"log/slog"
	"strings"
)

// console is the demo transport: it writes who would receive which link to
// the log and sends nothing, so that `vigie serve --demo` needs no mail
// server and the link can be opened straight from the terminal.
type console struct {
	log *slog.Logger
}

// NewConsole returns a transport that logs each invitation's recipient and
// link at INFO instead of sending it.
func NewConsole(log *slog.Logger) Transport {
	if log == nil {
		log = slog.Default()
	}
	return console{log: log}
}

func (c console) Send(ctx context.Context, m Rendered) error {
	c.log.InfoContext(ctx, "invitation e-mail not sent: console mail transport (demo)",
		"to", m.To, "name", m.ToName, "subject", m.Subject, "link", joinLink(m.Text))
	return nil
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
