package alarm

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"vigie/alarm/dc09"
)

// Account is one alarm panel's account on the DC-09 receiver.
type Account struct {
	Number   string           // #acct, 3–16 hex digits
	Site     string           // the site its events belong to
	Key      string           // "" = clear text only; else the AES key: 16/24/32 characters or 32/48/64 hex digits ("ascii:" or "hex:" in front to say which)
	Window   [2]time.Duration // accepted timestamp skew of encrypted frames, frame time minus receiver time; zero: {-40s, +20s}
	Location *time.Location   // the panel sends local time in this zone; nil = UTC
}

// Triggers says which codes open an incident. A nil list takes the default.
// Restores never open one, whatever the lists say.
type Triggers struct {
	CID []string // Contact ID event codes (EEE) that open with qualifier 1; default 120–125 and 146
	SIA []string // SIA DC-03 two-letter codes; default PA and HA
}

// DC09Config configures the SIA DC-09 receiver.
type DC09Config struct {
	Addr           string        // ":9000": TCP and UDP on the same port; port 0 picks one free for both
	Accounts       []Account     // the panels it knows
	Triggers       Triggers      // which codes open an incident
	UnknownAccount string        // frames from an account not listed: "ignore" (default: no reply, no event), "nak", or "accept" (ACK, events with no site; clear text only); always logged
	MaxConnections int           // open TCP connections at most; default 256; a connection over the limit is closed at once
	IdleTimeout    time.Duration // a TCP connection silent this long is closed; default 5 min
	Now            func() time.Time
	Log            *slog.Logger
}

// Unknown-account policies.
const (
	UnknownIgnore = "ignore"
	UnknownNAK    = "nak"
	UnknownAccept = "accept"
)

// defaultWindow is the accepted skew of an encrypted frame's timestamp.
func defaultWindow() [2]time.Duration { return [2]time.Duration{-40 * time.Second, 20 * time.Second} }

func defaultCID() []string { return []string{"120", "121", "122", "123", "124", "125", "146"} }
func defaultSIA() []string { return []string{"PA", "HA"} }

// siaRestore lists SIA restore codes: they never open an incident.
func siaRestore(code string) bool {
	switch code {
	case "PH", "PR", "HH", "HR", "QH", "QR", "BH", "BR", "FH", "FR", "MH", "MR":
		return true
	}
	return false
}

// account is an Account ready for use.
type account struct {
	number string // upper-case
	site   string
	key    dc09.Key // zero: clear text only
	window [2]time.Duration
	loc    *time.Location
}

// dc09Setup is the checked configuration.
type dc09Setup struct {
	cfg      DC09Config
	accounts map[string]*account
	cid, sia map[string]bool
}

func newDC09Setup(cfg DC09Config) (*dc09Setup, error) {
	if cfg.UnknownAccount == "" {
		cfg.UnknownAccount = UnknownIgnore
	}
	if !slices.Contains([]string{UnknownIgnore, UnknownNAK, UnknownAccept}, cfg.UnknownAccount) {
		return nil, fmt.Errorf("dc09: unknown_account %q: want ignore, nak or accept", cfg.UnknownAccount)
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = 256
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	s := &dc09Setup{cfg: cfg, accounts: make(map[string]*account, len(cfg.Accounts))}
	for i, a := range cfg.Accounts {
		acct, err := newAccount(a)
		if err != nil {
			return nil, fmt.Errorf("dc09: account %d (%q): %w", i+1, a.Number, err)
		}
		if s.accounts[acct.number] != nil {
			return nil, fmt.Errorf("dc09: account %q listed twice", a.Number)
		}
		s.accounts[acct.number] = acct
	}
	var err error
	if s.cid, err = codeSet(cfg.Triggers.CID, defaultCID(), validCID); err != nil {
		return nil, err
	}
	if s.sia, err = codeSet(cfg.Triggers.SIA, defaultSIA(), validSIATrigger); err != nil {
		return nil, err
	}
	return s, nil
}

func newAccount(a Account) (*account, error) {
	n := strings.ToUpper(a.Number)
	if len(n) < 3 || len(n) > 16 || strings.Trim(n, "0123456789ABCDEF") != "" {
		return nil, fmt.Errorf("number: want 3 to 16 hex digits")
	}
	acct := &account{number: n, site: a.Site, window: a.Window, loc: a.Location}
	if a.Key != "" {
		k, err := dc09.ParseKey(a.Key)
		if err != nil {
			return nil, err
		}
		acct.key = k
	}
	if acct.window == [2]time.Duration{} {
		acct.window = defaultWindow()
	}
	if acct.window[0] > 0 || acct.window[1] < 0 {
		return nil, fmt.Errorf("window %v: want from a negative or zero skew to a positive or zero one", acct.window)
	}
	return acct, nil
}

func codeSet(list, def []string, valid func(string) error) (map[string]bool, error) {
	if list == nil {
		list = def
	}
	set := make(map[string]bool, len(list))
	for _, c := range list {
		c = strings.ToUpper(strings.TrimSpace(c))
		if err := valid(c); err != nil {
			return nil, fmt.Errorf("dc09: trigger %q: %w", c, err)
		}
		set[c] = true
	}
	return set, nil
}

func validCID(c string) error {
	if len(c) != 3 || strings.Trim(c, "0123456789ABCDEF") != "" {
		return fmt.Errorf("want a 3-digit Contact ID event code")
	}
	return nil
}

func validSIATrigger(c string) error {
	if len(c) != 2 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return fmt.Errorf("want a two-letter SIA code")
	}
	if siaRestore(c) {
		return fmt.Errorf("a restore never opens an incident")
	}
	return nil
}
