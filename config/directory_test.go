package config

import (
	"strings"
	"testing"
)

func TestDirectoryValidation(t *testing.T) {
	valid := func() Config {
		c := Default()
		c.Cameras = []Camera{{ID: "entree", URL: "rtsp://cam/1"}}
		c.Contacts = []Contact{
			{ID: "dupont", Name: "Capitaine Dupont", Email: "dupont@police.example", Language: "fr", Role: "responder"},
			{ID: "lee", Name: "Lee", Email: "Lee <lee@example.org>", Language: "en"},
		}
		c.Sites = []Site{{ID: "joliette", Name: "Bureau de poste de Joliette", AlarmAccounts: []string{"1234"},
			Cameras: []string{"entree"}, Committee: []string{"dupont"}, Escalation: []string{"lee"}}}
		c.Lists = Lists{Committee: []string{"lee"}}
		return c
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"valid", func(*Config) {}, ""},
		{"bad e-mail", func(c *Config) { c.Contacts[0].Email = "dupont at police" },
			`contacts[0] (dupont).email: "dupont at police" is not an e-mail address`},
		{"bad language", func(c *Config) { c.Contacts[1].Language = "de" }, `contacts[1] (lee).language: "de" is not fr or en`},
		{"bad role", func(c *Config) { c.Contacts[1].Role = "admin" }, `contacts[1] (lee).role: "admin" is not responder, committee or observer`},
		{"contact twice", func(c *Config) { c.Contacts[1].ID = "dupont" }, `contacts[1].id: "dupont" is used twice`},
		{"unknown camera", func(c *Config) { c.Sites[0].Cameras = []string{"garage"} }, `sites[0] (joliette).cameras: no camera "garage"`},
		{"unknown contact", func(c *Config) { c.Sites[0].Committee = []string{"nobody"} }, `sites[0] (joliette).committee: no contact "nobody"`},
		{"unknown global", func(c *Config) { c.Lists.Escalation = []string{"x"} }, `lists.escalation: no contact "x"`},
		{"no site name", func(c *Config) { c.Sites[0].Name = "" }, `sites[0] (joliette).name: must not be empty`},
		{"account twice", func(c *Config) {
			c.Sites = append(c.Sites, Site{ID: "gare", Name: "Gare", AlarmAccounts: []string{"1234"}})
		}, `sites[1] (gare).alarm_accounts: "1234" is also the account of site joliette`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.change(&c)
			err := c.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}
