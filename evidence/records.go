package evidence

import (
	"time"

	"vigie/store"
)

// The bundle's JSON documents are written from the types below, not from
// the store's, so that their field names are the bundle's own contract:
// snake_case, every documented key always present, times in RFC 3339 UTC,
// and null for a value that does not exist (a time not reached yet, no
// legal hold, no bundle path). An empty text stays "" and an empty list [].
// docs/evidence.md describes each field.

// incidentDoc is incident.json.
type incidentDoc struct {
	Incident  incidentRecord `json:"incident"`
	LegalHold *holdRecord    `json:"legal_hold"`
}

type incidentRecord struct {
	ID       string     `json:"id"`
	Site     string     `json:"site"`
	Room     string     `json:"room"`
	Kind     string     `json:"kind"`
	Source   string     `json:"source"`
	OpenedAt time.Time  `json:"opened_at"`
	ClosedAt *time.Time `json:"closed_at"`
}

type holdRecord struct {
	Incident string    `json:"incident"`
	Reason   string    `json:"reason"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// chatRecord is one message of chat.json.
type chatRecord struct {
	Room     string    `json:"room"`
	Seq      int64     `json:"seq"`
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	FromID   string    `json:"from_id"`
	FromName string    `json:"from_name"`
	Text     string    `json:"text"`
}

// invitationRecord is one invitation of invitations.json.
type invitationRecord struct {
	ID        string     `json:"id"`
	Incident  string     `json:"incident"`
	Contact   string     `json:"contact"`
	Name      string     `json:"name"`
	Email     string     `json:"email"`
	Role      string     `json:"role"`
	Lang      string     `json:"lang"`
	List      string     `json:"list"`
	State     string     `json:"state"`
	CreatedAt time.Time  `json:"created_at"`
	OpenedAt  *time.Time `json:"opened_at"`
	JoinedAt  *time.Time `json:"joined_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

// accessDoc is access.json.
type accessDoc struct {
	Sessions  []sessionRecord `json:"sessions"`
	AccessLog []accessRecord  `json:"access_log"`
}

type sessionRecord struct {
	ID            string     `json:"id"`
	Room          string     `json:"room"`
	ParticipantID string     `json:"participant_id"`
	Name          string     `json:"name"`
	Role          string     `json:"role"`
	RemoteAddr    string     `json:"remote_addr"`
	UserAgent     string     `json:"user_agent"`
	JoinedAt      time.Time  `json:"joined_at"`
	LeftAt        *time.Time `json:"left_at"`
	LeaveReason   string     `json:"leave_reason"`
}

type accessRecord struct {
	At        time.Time         `json:"at"`
	Kind      string            `json:"kind"`
	ActorID   string            `json:"actor_id"`
	ActorName string            `json:"actor_name"`
	Subject   string            `json:"subject"`
	Detail    map[string]string `json:"detail"`
}

// fileRecord is one sharing of files.json.
type fileRecord struct {
	ID           string     `json:"id"`
	Room         string     `json:"room"`
	SHA256       string     `json:"sha256"`
	Name         string     `json:"name"`
	ContentType  string     `json:"content_type"`
	Size         int64      `json:"size"`
	UploaderID   string     `json:"uploader_id"`
	UploaderName string     `json:"uploader_name"`
	UploadedAt   time.Time  `json:"uploaded_at"`
	WithdrawnAt  *time.Time `json:"withdrawn_at"`
	Path         *string    `json:"path"`    // the bundle path of its bytes; null when missing
	Missing      bool       `json:"missing"` // recorded, but its bytes were not on disk
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func toIncidentDoc(inc store.Incident, hold *store.LegalHold) incidentDoc {
	d := incidentDoc{Incident: incidentRecord{ID: inc.ID, Site: inc.Site, Room: inc.Room, Kind: inc.Kind, Source: inc.Source,
		OpenedAt: inc.OpenedAt.UTC(), ClosedAt: utcPtr(inc.ClosedAt)}}
	if hold != nil {
		d.LegalHold = &holdRecord{Incident: hold.Incident, Reason: hold.Reason, By: hold.By, At: hold.At.UTC()}
	}
	return d
}

func toChat(list []store.ChatMessage) []chatRecord {
	out := make([]chatRecord, 0, len(list))
	for _, m := range list {
		out = append(out, chatRecord{Room: m.Room, Seq: m.Seq, ID: m.ID, At: m.At.UTC(), FromID: m.FromID, FromName: m.FromName, Text: m.Text})
	}
	return out
}

func toInvitations(list []store.Invitation) []invitationRecord {
	out := make([]invitationRecord, 0, len(list))
	for _, v := range list {
		out = append(out, invitationRecord{ID: v.ID, Incident: v.Incident, Contact: v.Contact, Name: v.Name, Email: v.Email,
			Role: v.Role, Lang: v.Lang, List: v.List, State: v.State, CreatedAt: v.CreatedAt.UTC(),
			OpenedAt: utcPtr(v.OpenedAt), JoinedAt: utcPtr(v.JoinedAt), RevokedAt: utcPtr(v.RevokedAt)})
	}
	return out
}

func toAccessDoc(sessions []store.Session, log []store.Access) accessDoc {
	d := accessDoc{Sessions: make([]sessionRecord, 0, len(sessions)), AccessLog: make([]accessRecord, 0, len(log))}
	for _, s := range sessions {
		d.Sessions = append(d.Sessions, sessionRecord{ID: s.ID, Room: s.RoomID, ParticipantID: s.ParticipantID, Name: s.Name,
			Role: s.Role, RemoteAddr: s.RemoteAddr, UserAgent: s.UserAgent, JoinedAt: s.JoinedAt.UTC(), LeftAt: utcPtr(s.LeftAt),
			LeaveReason: s.LeaveReason})
	}
	for _, a := range log {
		d.AccessLog = append(d.AccessLog, accessRecord{At: a.At.UTC(), Kind: a.Kind, ActorID: a.ActorID, ActorName: a.ActorName,
			Subject: a.Subject, Detail: a.Detail})
	}
	return d
}

// toFile is one sharing; path "" means its bytes were missing.
func toFile(f store.SharedFile, path string) fileRecord {
	r := fileRecord{ID: f.ID, Room: f.Room, SHA256: f.SHA256, Name: f.Name, ContentType: f.ContentType, Size: f.Size,
		UploaderID: f.UploaderID, UploaderName: f.UploaderName, UploadedAt: f.UploadedAt.UTC(), WithdrawnAt: utcPtr(f.WithdrawnAt),
		Missing: path == ""}
	if path != "" {
		r.Path = &path
	}
	return r
}
