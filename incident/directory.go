package incident

import (
	"slices"

	"vigie/config"
)

// Directory answers who is alerted for a site, from the configuration.
type Directory struct {
	sites    map[string]config.Site
	contacts map[string]config.Contact
	lists    config.Lists
}

// NewDirectory indexes the configured sites and contacts. The configuration
// has been validated: every reference resolves.
func NewDirectory(cfg config.Config) *Directory {
	d := &Directory{sites: map[string]config.Site{}, contacts: map[string]config.Contact{}, lists: cfg.Lists}
	for _, s := range cfg.Sites {
		d.sites[s.ID] = s
	}
	for _, c := range cfg.Contacts {
		d.contacts[c.ID] = c
	}
	return d
}

// Site returns a site by id.
func (d *Directory) Site(id string) (config.Site, bool) {
	s, ok := d.sites[id]
	return s, ok
}

// Sites lists the sites sorted by name.
func (d *Directory) Sites() []config.Site {
	list := make([]config.Site, 0, len(d.sites))
	for _, s := range d.sites {
		list = append(list, s)
	}
	slices.SortFunc(list, func(a, b config.Site) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return list
}

// List returns the contacts of a site's list ("committee" or "escalation"),
// the site's own first, then the global ones, each once.
func (d *Directory) List(site config.Site, list string) []config.Contact {
	ids := site.Committee
	global := d.lists.Committee
	if list == listEscalation {
		ids, global = site.Escalation, d.lists.Escalation
	}
	var out []config.Contact
	seen := map[string]bool{}
	for _, id := range append(append([]string(nil), ids...), global...) {
		if c, ok := d.contacts[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, c)
		}
	}
	return out
}
