package alarm

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"vigie/alarm/dc09"
)

// blockExtra names the Extras key of an extended data block.
func blockExtra(kind byte) string {
	switch kind {
	case 'V':
		return "verification_url"
	case 'X':
		return "longitude"
	case 'Y':
		return "latitude"
	case 'H':
		return "event_time"
	case 'S':
		return "site_name"
	case 'L':
		return "location"
	}
	return "block_" + string(kind)
}

// frameEvents turns a message frame (clear, or decrypted) into Events: one
// per event code it carries. A payload that does not parse still gives one
// Event, Kind "other", so that nothing a panel sent is lost.
func (s *dc09Setup) frameEvents(f dc09.Frame, raw []byte, acct *account, source string, received time.Time) []Event {
	base := Event{
		Site:       acct.site,
		Account:    acct.number,
		Kind:       KindOther,
		Source:     source,
		OccurredAt: occurredAt(f, acct.loc, received),
		ReceivedAt: received,
		Extras:     frameExtras(f),
		Raw:        dc09.Escape(raw),
	}
	key := dedupeKey(f, acct.number)
	var events []Event
	switch f.ID {
	case "ADM-CID":
		events = []Event{s.cidEvent(base, f.Data)}
	case "SIA-DCS":
		events = s.siaEvents(base, f.Data)
	}
	for i := range events {
		events[i].DedupeKey = key
		if len(events) > 1 {
			events[i].DedupeKey += "/" + strconv.Itoa(i+1)
		}
	}
	return events
}

func occurredAt(f dc09.Frame, loc *time.Location, received time.Time) time.Time {
	for _, b := range f.Extended {
		if b.Kind == 'H' {
			if t, err := dc09.ParseTimestamp(b.Value, loc); err == nil {
				return t
			}
		}
	}
	if t, ok := f.Time(loc); ok {
		return t
	}
	return received
}

func frameExtras(f dc09.Frame) map[string]string {
	x := make(map[string]string, len(f.Extended)+1)
	for _, b := range f.Extended {
		x[blockExtra(b.Kind)] = b.Value
	}
	if f.Encrypted {
		x["decrypted"] = dc09.Escape(f.Data)
	}
	return x
}

// dedupeKey is the same for a retransmission of the same frame: account,
// sequence and payload (the data and extended blocks, not the timestamp nor
// the pad, which change when an encrypted frame is sent again).
func dedupeKey(f dc09.Frame, account string) string {
	h := sha256.New()
	h.Write([]byte(f.ID))
	h.Write([]byte{0})
	h.Write(f.Data)
	for _, b := range f.Extended {
		h.Write([]byte{0, b.Kind})
		h.Write([]byte(b.Value))
	}
	return "dc09/" + account + "/" + f.Seq + "/" + hex.EncodeToString(h.Sum(nil)[:8])
}

func (s *dc09Setup) cidEvent(e Event, data []byte) Event {
	c, err := dc09.ParseContactID(data)
	if err != nil {
		_, rest := dc09.SplitAccount(data)
		e.Code = "CID " + dc09.Escape(rest)
		return e
	}
	e.Code = "CID " + c.String()
	e.Kind = cidKind(c)
	e.Opens = c.Qualifier == '1' && s.cid[strings.ToUpper(c.Event)]
	e.Partition = c.Partition
	if cidUserEvent(c.Event) {
		e.User = c.Zone
	} else {
		e.Zone = c.Zone
	}
	return e
}

func cidKind(c dc09.ContactID) string {
	if c.Qualifier == '3' {
		return KindRestore
	}
	switch c.Event {
	case "120":
		return KindPanic
	case "121", "124", "125":
		return KindDuress
	case "122", "123", "146":
		return KindHoldup
	case "100", "101":
		return KindEmergency
	}
	if strings.HasPrefix(c.Event, "60") {
		return KindTest
	}
	return KindOther
}

// cidUserEvent reports whether ZZZ is a user number: duress codes and the
// 4xx open/close family.
func cidUserEvent(code string) bool {
	return code == "121" || code == "124" || code == "125" || strings.HasPrefix(code, "4")
}

func (s *dc09Setup) siaEvents(base Event, data []byte) []Event {
	d, err := dc09.ParseSIA(data)
	if err != nil {
		_, rest := dc09.SplitAccount(data)
		base.Code = "SIA " + dc09.Escape(rest)
		return []Event{base}
	}
	events := make([]Event, 0, len(d.Events))
	for _, se := range d.Events {
		e := base
		e.Extras = withSIAExtras(base.Extras, se, d.Text)
		e.Code = "SIA " + se.Code + se.Address
		e.Kind = siaKind(se.Code)
		e.Opens = !siaRestore(se.Code) && s.sia[se.Code]
		e.Zone, e.Partition, e.User = se.Address, se.Area, se.User
		events = append(events, e)
	}
	return events
}

func withSIAExtras(base map[string]string, se dc09.SIAEvent, text string) map[string]string {
	x := make(map[string]string, len(base)+2)
	for k, v := range base {
		x[k] = v
	}
	if t := strings.TrimSpace(strings.Join([]string{se.Text, text}, " ")); t != "" {
		x["text"] = t
	}
	if se.Time != "" {
		x["panel_time"] = se.Time
	}
	return x
}

func siaKind(code string) string {
	if siaRestore(code) {
		return KindRestore
	}
	switch code {
	case "PA":
		return KindPanic
	case "HA":
		return KindHoldup
	case "QA":
		return KindEmergency
	case "RP", "RX", "TX":
		return KindTest
	}
	return KindOther
}
