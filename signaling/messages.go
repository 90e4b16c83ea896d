package signaling

import (
	"encoding/json"

	"vigie/cameras"
	"vigie/sfu"
)

// Limits on what a browser may send.
const (
	maxMessageBytes = 64 << 10
	maxChatRunes    = 2000
	maxNameRunes    = 64
)

// Media is a participant's sending state: true means on.
type Media struct {
	Audio  bool `json:"audio"`
	Video  bool `json:"video"`
	Screen bool `json:"screen"`
}

// Participant is how a participant is described to the others.
type Participant struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	Media Media  `json:"media"`
}

// inbound is every field any browser message may carry; Type says which
// apply. Unknown fields are ignored.
type inbound struct {
	Type      string                `json:"type"`
	Token     string                `json:"token"`
	Name      string                `json:"name"`
	Media     *Media                `json:"media"`
	SDP       string                `json:"sdp"`
	Sources   map[string]sfu.Source `json:"sources"`
	PC        sfu.PCKind            `json:"pc"`
	Candidate json.RawMessage       `json:"candidate"`
	Text      string                `json:"text"`
	Codecs    []string              `json:"codecs"`
	Camera    string                `json:"camera"`
	Quality   string                `json:"quality"`
	Resume    string                `json:"resume"`     // resume: the key from joined
	ChatAfter int64                 `json:"chat_after"` // resume: the last chat seq the browser has
}

// Outbound messages, one struct per type so the JSON stays exact.

type joinedMsg struct {
	Type         string           `json:"type"`
	Self         Participant      `json:"self"`
	Room         roomRef          `json:"room"`
	Participants []Participant    `json:"participants"`
	Cameras      []cameras.Status `json:"cameras"`
	ICEServers   []iceServer      `json:"ice_servers"`
	Chat         []chatMsg        `json:"chat"`          // the room's latest chat, oldest first
	Resume       string           `json:"resume"`        // the key to resume this session
	ResumeWindow float64          `json:"resume_window"` // seconds a cut session keeps its place
	Recording    bool             `json:"recording"`     // what participants send is recorded
}

type cameraMsg struct {
	Type   string         `json:"type"`
	Camera cameras.Status `json:"camera"`
}

type roomRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

type participantMsg struct {
	Type        string      `json:"type"`
	Participant Participant `json:"participant"`
}

type leftMsg struct {
	Type string `json:"type"`
	ID   string `json:"id"`
}

type sdpMsg struct {
	Type   string                   `json:"type"`
	SDP    string                   `json:"sdp"`
	Tracks map[string]sfu.TrackInfo `json:"tracks,omitempty"`
}

type iceMsg struct {
	Type      string     `json:"type"`
	PC        sfu.PCKind `json:"pc"`
	Candidate any        `json:"candidate"`
}

type chatMsg struct {
	Type string  `json:"type"`
	Seq  int64   `json:"seq"`
	ID   string  `json:"id"`
	From roomRef `json:"from"`
	Text string  `json:"text"`
	At   string  `json:"at"`
}

type errorMsg struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
}
