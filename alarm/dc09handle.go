package alarm

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"vigie/alarm/dc09"
)

// maxLoggedRaw bounds how much of a bad frame goes into a log line.
const maxLoggedRaw = 256

// handle answers one frame (without its LF and CR): the reply to send, or
// nil for none.
func (r *DC09Receiver) handle(raw []byte, source, peer string) []byte {
	received := r.setup.cfg.Now()
	f, err := dc09.ParseFrame(raw)
	if err != nil {
		r.log.Warn("dc09: frame dropped", "source", source, "peer", peer, "reason", err.Error(), "raw", loggable(raw))
		return nil
	}
	log := r.log.With("source", source, "peer", peer, "id", f.ID, "seq", f.Seq, "account", f.Account)
	if f.DecimalLength {
		log.Warn("dc09: length field written in decimal; accepted since the CRC is right")
	}
	switch f.ID {
	case "ACK", "NAK", "DUH":
		log.Warn("dc09: a reply sent to the receiver; ignored")
		return nil
	case "NULL", "SIA-DCS", "ADM-CID":
	default:
		log.Warn("dc09: message type not supported; DUH")
		return dc09.DUH(f)
	}
	acct := r.setup.accounts[strings.ToUpper(f.Account)]
	if acct == nil {
		if acct = r.unknownAccount(f, log); acct == nil {
			if r.setup.cfg.UnknownAccount == UnknownNAK {
				return dc09.NAK(received.UTC())
			}
			return nil
		}
	}
	f, reply, ok := r.open(f, acct, received, log)
	if !ok {
		return reply
	}
	if f.ID == "NULL" || len(f.Data) == 0 {
		log.Debug("dc09: link test")
		return r.ack(f, acct, received, log)
	}
	if !r.deliver(r.setup.frameEvents(f, raw, acct, source, received), received, log) {
		return nil
	}
	return r.ack(f, acct, received, log)
}

// unknownAccount logs a frame from an account not configured and returns
// the account to go on with under the "accept" policy, else nil.
func (r *DC09Receiver) unknownAccount(f dc09.Frame, log *slog.Logger) *account {
	policy := r.setup.cfg.UnknownAccount
	log.Warn("dc09: unknown account", "policy", policy)
	if policy != UnknownAccept {
		return nil
	}
	return &account{number: strings.ToUpper(f.Account), window: defaultWindow()}
}

// open decrypts an encrypted frame and checks its timestamp. When ok is
// false, reply is the answer to send (possibly nil).
func (r *DC09Receiver) open(f dc09.Frame, acct *account, now time.Time, log *slog.Logger) (_ dc09.Frame, reply []byte, ok bool) {
	if !f.Encrypted {
		if acct.key.Valid() && f.ID != "NULL" {
			log.Warn("dc09: clear message from an account with a key; DUH")
			return f, dc09.DUH(f), false
		}
		return f, nil, true
	}
	if !acct.key.Valid() {
		log.Warn("dc09: encrypted frame from an account without a key; DUH")
		return f, dc09.DUH(f), false
	}
	d, err := f.Decrypt(acct.key)
	if err != nil {
		log.Warn("dc09: frame does not decrypt; DUH", "reason", err.Error())
		return f, dc09.DUH(f), false
	}
	local := now.In(locOrUTC(acct.loc))
	t, has := d.Time(acct.loc)
	if !has {
		log.Warn("dc09: encrypted frame without timestamp; NAK")
		return f, dc09.NAK(local), false
	}
	if skew := t.Sub(now); skew < acct.window[0] || skew > acct.window[1] {
		log.Warn("dc09: timestamp outside the window; NAK with the receiver's time", "timestamp", d.Timestamp, "skew", skew.Round(time.Second), "window", acct.window)
		return f, dc09.NAK(local), false
	}
	return d, nil, true
}

// deliver hands the events to the sink, skipping known retransmissions.
// false: the sink failed, the frame must not be acknowledged.
func (r *DC09Receiver) deliver(events []Event, now time.Time, log *slog.Logger) bool {
	for _, e := range events {
		if r.recent.seen(e.DedupeKey, now) {
			log.Info("dc09: retransmission acknowledged again", "key", e.DedupeKey)
			continue
		}
		ctx, cancel := context.WithTimeout(r.ctx, sinkTimeout)
		err := r.sink.Alarm(ctx, e)
		cancel()
		if err != nil {
			log.Error("dc09: event not stored; no ACK, the panel will send again", "code", e.Code, "err", err)
			return false
		}
		r.recent.add(e.DedupeKey, now)
		log.Info("dc09: event", "site", e.Site, "kind", e.Kind, "opens", e.Opens, "code", e.Code, "zone", e.Zone, "user", e.User)
	}
	return true
}

func (r *DC09Receiver) ack(f dc09.Frame, acct *account, now time.Time, log *slog.Logger) []byte {
	if !f.Encrypted {
		return dc09.ACK(f)
	}
	b, err := dc09.EncryptedACK(f, acct.key, now.In(locOrUTC(acct.loc)), r.rand)
	if err != nil {
		log.Error("dc09: encrypted ACK", "err", err)
		return nil
	}
	return b
}

func locOrUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

func loggable(raw []byte) string {
	if len(raw) > maxLoggedRaw {
		return dc09.Escape(raw[:maxLoggedRaw]) + "..."
	}
	return dc09.Escape(raw)
}
