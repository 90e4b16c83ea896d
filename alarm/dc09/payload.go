package dc09

import (
	"bytes"
	"strings"
)

// SplitAccount removes the "#acct|" that starts a message's data and
// returns the account ("" when absent) and the rest.
func SplitAccount(data []byte) (account string, rest []byte) {
	if len(data) == 0 || data[0] != '#' {
		return "", data
	}
	bar := bytes.IndexByte(data, '|')
	if bar < 0 {
		return "", data
	}
	return string(data[1:bar]), data[bar+1:]
}

// ContactID is an ADM-CID payload, "QEEE GG ZZZ".
type ContactID struct {
	Qualifier byte   // '1' new event, '3' restore, '6' still present (status)
	Event     string // EEE, e.g. "120"
	Partition string // GG
	Zone      string // ZZZ: a zone, or a user number for user events (121 duress...)
}

// String writes the payload back as "QEEE GG ZZZ".
func (c ContactID) String() string {
	return string(c.Qualifier) + c.Event + " " + c.Partition + " " + c.Zone
}

// ParseContactID reads the data block of an ADM-CID frame ("#acct|" in
// front is optional). Spaces between the groups are optional.
func ParseContactID(data []byte) (ContactID, error) {
	_, rest := SplitAccount(data)
	s := strings.ReplaceAll(string(rest), " ", "")
	if len(s) != 9 || !isHexString(s) {
		return ContactID{}, errf("data", "contact ID %s is not QEEE GG ZZZ", quote(rest))
	}
	switch s[0] {
	case '1', '3', '6':
	default:
		return ContactID{}, errf("data", "contact ID qualifier %q is not 1, 3 or 6", s[0])
	}
	return ContactID{Qualifier: s[0], Event: s[1:4], Partition: s[4:6], Zone: s[6:9]}, nil
}

// SIAEvent is one event code of an SIA DC-03 payload with the modifiers in
// force where it stands.
type SIAEvent struct {
	Code    string // two upper-case letters: "PA" panic, "HA" hold-up, "PR" panic restore...
	Address string // the digits after the code: a zone, a user...
	Area    string // ri: area (partition)
	User    string // id: user number
	Time    string // ti: hh:mm or hh:mm:ss
	Text    string // ^unit text^ after the code
}

// SIAData is an SIA-DCS payload: "#acct|Nri1/PA015|Atext".
type SIAData struct {
	Events []SIAEvent
	Text   string // the |A ASCII text segment
}

// ParseSIA reads the data block of an SIA-DCS frame ("#acct|" in front is
// optional): 'N' then '/'-separated items, event codes of two letters with an
// optional address, and two-letter lower-case modifiers (ri, id, ti...).
func ParseSIA(data []byte) (SIAData, error) {
	_, rest := SplitAccount(data)
	segs := strings.Split(string(rest), "|")
	var out SIAData
	for _, seg := range segs[1:] {
		if strings.HasPrefix(seg, "A") {
			out.Text = seg[1:]
		}
	}
	events, err := parseSIAEvents(strings.TrimPrefix(segs[0], "N"))
	if err != nil {
		return SIAData{}, err
	}
	if len(events) == 0 {
		return SIAData{}, errf("data", "SIA %s has no event code", quote(rest))
	}
	out.Events = events
	return out, nil
}

func parseSIAEvents(s string) ([]SIAEvent, error) {
	var events []SIAEvent
	var ctx SIAEvent // modifiers carry over to the codes that follow
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '/':
			i++
		case isLower(c) && i+1 < len(s) && isLower(s[i+1]):
			i = siaModifier(s, i, &ctx)
		case isUpper(c) && i+1 < len(s) && isUpper(s[i+1]):
			e := ctx
			e.Code = s[i : i+2]
			start := i + 2
			i = run(s, start, isDigit)
			e.Address = s[start:i]
			if i < len(s) && s[i] == '^' {
				end := strings.IndexByte(s[i+1:], '^')
				if end < 0 {
					end = len(s) - i - 1
				}
				e.Text, i = s[i+1:i+1+end], min(len(s), i+2+end)
			}
			events = append(events, e)
		default:
			return nil, errf("data", "unexpected %q at %d in SIA %q", c, i, s)
		}
	}
	return events, nil
}

// siaModifier reads a modifier at s[i] into ctx and returns where it ends.
func siaModifier(s string, i int, ctx *SIAEvent) int {
	name := s[i : i+2]
	valueOK := func(c byte) bool { return c != '/' && c != '^' && c != '|' && !isUpper(c) }
	if name == "ti" {
		valueOK = func(c byte) bool { return isDigit(c) || c == ':' }
	}
	end := run(s, i+2, valueOK)
	v := s[i+2 : end]
	switch name {
	case "ri":
		ctx.Area = v
	case "id":
		ctx.User = v
	case "ti":
		ctx.Time = v
	}
	return end
}

// run returns the index of the first byte from i on that ok rejects.
func run(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
