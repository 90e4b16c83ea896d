package config

import (
	"fmt"
	"net/mail"
	"slices"
)

// The directory: who is alerted for which site. Sites and contacts are
// loaded from the configuration; incidents refer to them by id.

// Site is a guarded place: where alarms come from and whose cameras and
// committee an incident brings together.
type Site struct {
	ID            string   `yaml:"id"`
	Name          string   `yaml:"name"`
	Address       string   `yaml:"address"`
	Latitude      float64  `yaml:"latitude"`
	Longitude     float64  `yaml:"longitude"`
	FloorPlan     string   `yaml:"floor_plan"`     // path of an image of the floor plan, optional
	AlarmAccounts []string `yaml:"alarm_accounts"` // DC-09 account numbers of the site's panels
	Cameras       []string `yaml:"cameras"`        // camera ids shown when an incident opens
	Committee     []string `yaml:"committee"`      // contact ids alerted at once
	Escalation    []string `yaml:"escalation"`     // contact ids alerted when nobody joins in time
}

// Contact is a person who may be invited to incidents.
type Contact struct {
	ID           string `yaml:"id"`
	Name         string `yaml:"name"`
	Email        string `yaml:"email"`
	Phone        string `yaml:"phone"`
	Organisation string `yaml:"organisation"`
	Language     string `yaml:"language"` // fr (default) or en
	Role         string `yaml:"role"`     // responder (default), committee or observer
}

// Lists are contacts alerted for every site, on top of each site's own.
type Lists struct {
	Committee  []string `yaml:"committee"`
	Escalation []string `yaml:"escalation"`
}

// Contact roles; operators are users of the console, not contacts.
var contactRoles = []string{"responder", "committee", "observer"}

// checkDirectory checks sites and contacts, and every reference between
// them and to cameras, naming the entry that is wrong.
func checkDirectory(c Config) []string {
	var p []string
	contacts := map[string]bool{}
	for i, ct := range c.Contacts {
		key := fmt.Sprintf("contacts[%d]", i)
		p = append(p, checkID(key, ct.ID, contacts)...)
		if _, err := mail.ParseAddress(ct.Email); err != nil || ct.Email == "" {
			p = append(p, fmt.Sprintf("%s (%s).email: %q is not an e-mail address", key, ct.ID, ct.Email))
		}
		if ct.Language != "" && ct.Language != "fr" && ct.Language != "en" {
			p = append(p, fmt.Sprintf("%s (%s).language: %q is not fr or en", key, ct.ID, ct.Language))
		}
		if ct.Role != "" && !slices.Contains(contactRoles, ct.Role) {
			p = append(p, fmt.Sprintf("%s (%s).role: %q is not responder, committee or observer", key, ct.ID, ct.Role))
		}
	}
	cameras := map[string]bool{}
	for _, cam := range c.Cameras {
		cameras[cam.ID] = true
	}
	sites, accounts := map[string]bool{}, map[string]string{}
	for i, s := range c.Sites {
		key := fmt.Sprintf("sites[%d]", i)
		p = append(p, checkID(key, s.ID, sites)...)
		if s.Name == "" {
			p = append(p, fmt.Sprintf("%s (%s).name: must not be empty", key, s.ID))
		}
		p = append(p, checkRefs(key+" ("+s.ID+").cameras", s.Cameras, cameras, "camera")...)
		p = append(p, checkRefs(key+" ("+s.ID+").committee", s.Committee, contacts, "contact")...)
		p = append(p, checkRefs(key+" ("+s.ID+").escalation", s.Escalation, contacts, "contact")...)
		for _, a := range s.AlarmAccounts {
			if other, dup := accounts[a]; dup {
				p = append(p, fmt.Sprintf("%s (%s).alarm_accounts: %q is also the account of site %s", key, s.ID, a, other))
			}
			accounts[a] = s.ID
		}
	}
	p = append(p, checkRefs("lists.committee", c.Lists.Committee, contacts, "contact")...)
	p = append(p, checkRefs("lists.escalation", c.Lists.Escalation, contacts, "contact")...)
	return p
}

func checkID(key, id string, seen map[string]bool) []string {
	switch {
	case !validCameraID(id):
		return []string{fmt.Sprintf("%s.id: %q must be 1 to 64 letters, digits, - or _", key, id)}
	case seen[id]:
		return []string{fmt.Sprintf("%s.id: %q is used twice", key, id)}
	}
	seen[id] = true
	return nil
}

func checkRefs(key string, ids []string, known map[string]bool, what string) []string {
	var p []string
	for _, id := range ids {
		if !known[id] {
			p = append(p, fmt.Sprintf("%s: no %s %q", key, what, id))
		}
	}
	return p
}
