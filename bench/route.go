package bench

import (
	"fmt"

	"github.com/pion/webrtc/v4"
)

// route describes the ICE candidate pair media came through, as
// "local → remote", each side "type/protocol": "host/udp → host/udp" is
// direct UDP, "host/tcp → host/tcp" ICE over TCP, "relay/udp(tls) →
// host/udp" a TURN relay reached over TLS. "" when no pair is selected.
func route(pc *webrtc.PeerConnection, recv *webrtc.RTPReceiver) string {
	dtls := recv.Transport()
	if dtls == nil {
		return ""
	}
	pair, err := dtls.ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil || pair.Local == nil || pair.Remote == nil {
		return ""
	}
	return fmt.Sprintf("%s → %s", side(pc, pair.Local), side(pc, pair.Remote))
}

// side is one candidate as type/protocol, with the protocol to the TURN
// server for a local relay candidate.
func side(pc *webrtc.PeerConnection, c *webrtc.ICECandidate) string {
	s := c.Typ.String() + "/" + c.Protocol.String()
	if c.Typ != webrtc.ICECandidateTypeRelay {
		return s
	}
	for _, st := range pc.GetStats() {
		cs, ok := st.(webrtc.ICECandidateStats)
		if ok && cs.Type == webrtc.StatsTypeLocalCandidate && cs.IP == c.Address && cs.Port == int32(c.Port) && cs.RelayProtocol != "" {
			return s + "(" + cs.RelayProtocol + ")"
		}
	}
	return s
}
