package notify

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTPConfig says how to reach the mail server that sends vigie's e-mail:
// usually the organisation's submission server, with STARTTLS and a login.
type SMTPConfig struct {
	Host     string
	Port     int // 0: 587 with STARTTLS, 465 with implicit TLS, 25 without TLS
	Username string
	Password string
	// TLS is "starttls" (the default: the session must switch to TLS before
	// anything is sent), "implicit" (TLS from the first byte, port 465) or
	// "none", only for a relay on the same machine or in tests. Without
	// TLS, a password is only sent through a challenge mechanism (CRAM-MD5,
	// SCRAM), never in the clear.
	TLS      string
	From     string // "vigie <alerte@example.org>"
	HeloName string // the name vigie gives in EHLO; the host name when empty
}

// smtpTimeout bounds the connection and each SMTP command. A whole send
// is bounded by the caller's context as well.
const smtpTimeout = 30 * time.Second

// smtpTransport sends each message on a connection of its own: an alarm
// sends a few dozen messages at most, and a fresh session per message
// leaves no idle connection for the server to drop between incidents.
type smtpTransport struct {
	host   string
	addr   string // host:port, for errors
	from   *netmail.Address
	domain string // of the sender, for Message-IDs
	opts   []mail.Option
}

// NewSMTP checks cfg and returns a transport that sends through that server.
// It connects to nothing until the first message.
func NewSMTP(cfg SMTPConfig) (Transport, error) {
	return newSMTP(cfg, nil)
}

// newSMTP is NewSMTP with the certificate authorities that vouch for the
// server: nil means the system's. Tests pass their own.
func newSMTP(cfg SMTPConfig, roots *x509.CertPool) (*smtpTransport, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp: sender %q: %w", cfg.From, err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	helo := cfg.HeloName
	if helo == "" {
		if helo, err = os.Hostname(); err != nil || helo == "" {
			helo = "localhost"
		}
	}
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12, RootCAs: roots}
	opts := []mail.Option{
		mail.WithTimeout(smtpTimeout), mail.WithHELO(helo), mail.WithTLSConfig(tlsConfig),
		// A session of one message needs no NOOP before it, and no RSET
		// after it: a failed RSET would report a delivered message as failed.
		mail.WithoutNoop(), mail.WithoutRset(),
	}
	port := cfg.Port
	switch cfg.TLS {
	case "", "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		port = orDefault(port, 587)
	case "implicit":
		opts = append(opts, mail.WithSSL())
		port = orDefault(port, 465)
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		port = orDefault(port, 25)
	default:
		return nil, fmt.Errorf("smtp: tls %q: want starttls, implicit or none", cfg.TLS)
	}
	opts = append(opts, mail.WithPort(port))
	if cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(cfg.Username), mail.WithPassword(cfg.Password))
	}
	if _, err := mail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("smtp %s: %w", cfg.Host, err)
	}
	return &smtpTransport{
		host: cfg.Host, addr: cfg.Host + ":" + strconv.Itoa(port),
		from: from, domain: domain, opts: opts,
	}, nil
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// Send delivers m in one SMTP session. A 5xx reply to the message, or an
// address that cannot be written, is ErrRejected; anything else (no
// connection, a timeout, a 4xx reply, a failed login) may pass.
func (t *smtpTransport) Send(ctx context.Context, r Rendered) error {
	msg, err := t.message(r)
	if err != nil {
		return rejected(err)
	}
	client, err := mail.NewClient(t.host, t.opts...)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", t.addr, err)
	}
	conn, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", t.addr, err)
	}
	// go-mail heeds the context only while dialling: closing the connection
	// is what ends a command that waits when the context ends.
	stop := context.AfterFunc(ctx, func() { _ = conn.Text.Close() })
	defer stop()
	if err := client.SendWithSMTPClient(conn, msg); err != nil {
		_ = conn.Close()
		if ctx.Err() != nil {
			return fmt.Errorf("smtp %s: %w", t.addr, ctx.Err())
		}
		if permanent(err) {
			return rejected(err)
		}
		return err
	}
	// The server has accepted the message: a failed QUIT changes nothing.
	_ = client.CloseWithSMTPClient(conn)
	return nil
}

// permanent reports whether the server refused the message for good.
func permanent(err error) bool {
	var se *mail.SendError
	if !errors.As(err, &se) {
		return false
	}
	switch se.Reason {
	case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
		return true
	}
	return se.ErrorCode() >= 500
}

func (t *smtpTransport) message(r Rendered) (*mail.Msg, error) {
	m := mail.NewMsg(mail.WithNoDefaultUserAgent())
	m.FromMailAddress(t.from)
	if err := m.AddToFormat(r.ToName, r.To); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", r.To, err)
	}
	m.Subject(r.Subject)
	m.SetMessageIDWithValue(t.messageID(r.MessageID))
	m.SetDate()
	// An alert written by a machine: no vacation or out-of-office replies.
	m.SetGenHeader("Auto-Submitted", "auto-generated")
	m.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	m.SetBodyString(mail.TypeTextPlain, r.Text)
	if r.HTML != "" {
		m.AddAlternativeString(mail.TypeTextHTML, r.HTML)
	}
	return m, nil
}

// messageID completes a Message-ID with the sender's domain, or makes a
// random one when the message has none.
func (t *smtpTransport) messageID(id string) string {
	if id == "" {
		id = "vigie." + strings.ToLower(rand.Text())
	}
	if strings.Contains(id, "@") {
		return id
	}
	return id + "@" + t.domain
}
