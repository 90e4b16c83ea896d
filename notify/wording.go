package notify

import (
	"fmt"
	"time"
)

// wording is the text of an invitation in one language.
type wording struct {
	Lang         string // the HTML lang attribute
	Colon        string // what follows a label: French puts a space before the colon
	Alert        string // the subject's tag
	JoinRoom     string // the subject's call to action
	Hello        string
	Intro        string
	Button       string
	SiteLabel    string
	AddressLabel string
	TimeLabel    string
	Personal     string
	Harmless     string
	CopyLink     string
	Phone        string
	Footer       string
}

// frenchWording is the French text; a function, not a variable, so that no
// caller can change it for the others. The spaces before ":" and inside
// « » are non-breaking, as French typography wants.
func frenchWording() wording {
	return wording{
		Lang:         "fr",
		Colon:        "\u00a0:",
		Alert:        "ALERTE",
		JoinRoom:     "rejoindre la cellule de crise",
		Hello:        "Bonjour",
		Intro:        "Une cellule de crise est ouverte pour cette alarme. Rejoignez-la depuis votre navigateur, sans rien installer :",
		Button:       "Ouvrir la cellule de crise",
		SiteLabel:    "Site",
		AddressLabel: "Adresse",
		TimeLabel:    "Déclenchée",
		Personal:     "Ce lien vous est personnel : ne le transférez pas. Il reste valable jusqu'à la clôture de l'incident.",
		Harmless: "L'ouvrir affiche seulement une page d'accueil : vous n'entrez dans la cellule qu'en cliquant sur « Rejoindre ». " +
			"Un filtre de messagerie qui ouvre le lien ne déclenche donc rien.",
		CopyLink: "Si le bouton ne fonctionne pas, copiez ce lien dans votre navigateur :",
		Phone:    "Centre de télésurveillance",
		Footer:   "Message automatique envoyé par vigie. Ne répondez pas à ce message.",
	}
}

func englishWording() wording {
	return wording{
		Lang:         "en",
		Colon:        ":",
		Alert:        "ALERT",
		JoinRoom:     "join the crisis room",
		Hello:        "Hello",
		Intro:        "A crisis room is open for this alarm. Join it from your browser, with nothing to install:",
		Button:       "Open the crisis room",
		SiteLabel:    "Site",
		AddressLabel: "Address",
		TimeLabel:    "Triggered",
		Personal:     "This link is personal: do not forward it. It stays valid until the incident is closed.",
		Harmless: "Opening it only shows a welcome page: you enter the room only when you click \"Join\". " +
			"A mail filter that opens the link therefore triggers nothing.",
		CopyLink: "If the button does not work, copy this link into your browser:",
		Phone:    "Monitoring centre",
		Footer:   "Automatic message sent by vigie. Do not reply to it.",
	}
}

// wordingFor returns the wording of lang: English for "en", French otherwise.
func wordingFor(lang string) wording {
	if lang == "en" {
		return englishWording()
	}
	return frenchWording()
}

// kindName names an alarm kind; an unknown kind is a plain "alarm".
func kindName(lang, kind string) string {
	fr, en := "Alarme", "Alarm"
	switch kind {
	case "holdup":
		fr, en = "Agression", "Hold-up"
	case "panic":
		fr, en = "Alarme panique", "Panic alarm"
	case "duress":
		fr, en = "Contrainte", "Duress"
	case "emergency":
		fr, en = "Urgence", "Emergency"
	}
	if lang == "en" {
		return en
	}
	return fr
}

// alarmTime writes when the alarm went off: in Paris time for French
// readers, in UTC for English ones, the zone always named. A zero time is
// written as nothing.
func alarmTime(lang string, t time.Time, paris *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if lang == "en" {
		return t.UTC().Format("2 January 2006, 15:04:05 UTC")
	}
	p := t.In(paris)
	return fmt.Sprintf("%s à %s (heure de Paris)", p.Format("02/01/2006"), p.Format("15:04:05"))
}
