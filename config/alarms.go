package config

import (
	"fmt"
	"strconv"
	"time"
)

// DC09 is the SIA DC-09 receiver for alarm panels.
type DC09 struct {
	Listen         string        `yaml:"listen"`          // TCP and UDP address, such as ":9000"; empty: off
	UnknownAccount string        `yaml:"unknown_account"` // ignore (default), nak or accept
	Accounts       []DC09Account `yaml:"accounts"`        // keys and clocks of encrypted panels
}

// DC09Account sets an encrypted panel's key and clock. The account's site
// comes from sites[].alarm_accounts.
type DC09Account struct {
	Number   string   `yaml:"number"`
	Key      string   `yaml:"key"`       // AES key: 16/24/32 characters or 32/48/64 hex digits
	TimeZone string   `yaml:"time_zone"` // the panel sends local time in this zone, e.g. Europe/Paris
	Before   Duration `yaml:"before"`    // accepted lateness of its clock, default 40s
	After    Duration `yaml:"after"`     // accepted advance, default 20s
}

// Webhook is one monitoring-centre integration allowed to post alarms.
type Webhook struct {
	Name   string `yaml:"name"`
	Secret string `yaml:"secret"` // shared HMAC-SHA256 secret, at least 32 characters
}

// SMTP is the mail server invitations go through; without a host, e-mails
// are written to the log instead (demonstration).
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // default 587 (STARTTLS) or 465 (implicit)
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	TLS      string `yaml:"tls"`  // starttls (default), implicit, or none (local relay only)
	From     string `yaml:"from"` // "vigie <alerte@example.org>"
}

// Incidents sets how incidents run.
type Incidents struct {
	EscalateAfter Duration `yaml:"escalate_after"` // nobody joined after this: alert the escalation list (default 5m)
	CentrePhone   string   `yaml:"centre_phone"`   // the monitoring centre's number, in e-mails
}

func checkAlarms(c Config) []string {
	var p []string
	if c.DC09.Listen != "" {
		if msg := checkListen(c.DC09.Listen); msg != "" {
			p = append(p, "dc09.listen: "+msg)
		}
	}
	switch c.DC09.UnknownAccount {
	case "", "ignore", "nak", "accept":
	default:
		p = append(p, fmt.Sprintf("dc09.unknown_account: %q is not ignore, nak or accept", c.DC09.UnknownAccount))
	}
	for i, a := range c.DC09.Accounts {
		if a.TimeZone != "" {
			if _, err := time.LoadLocation(a.TimeZone); err != nil {
				p = append(p, fmt.Sprintf("dc09.accounts[%d] (%s).time_zone: %q is not a known time zone", i, a.Number, a.TimeZone))
			}
		}
	}
	for i, w := range c.Webhooks {
		if w.Name == "" || len(w.Secret) < 32 {
			p = append(p, fmt.Sprintf("webhooks[%d] (%s): needs a name and a secret of at least 32 characters", i, w.Name))
		}
	}
	switch c.SMTP.TLS {
	case "", "starttls", "implicit", "none":
	default:
		p = append(p, fmt.Sprintf("smtp.tls: %q is not starttls, implicit or none", c.SMTP.TLS))
	}
	if c.SMTP.Host != "" && c.SMTP.From == "" {
		p = append(p, "smtp.from: must be set with smtp.host")
	}
	if c.SMTP.Port < 0 || c.SMTP.Port > 65535 {
		p = append(p, "smtp.port: "+strconv.Itoa(c.SMTP.Port)+" is not a port")
	}
	return p
}
