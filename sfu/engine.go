package sfu

import (
	"fmt"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/webrtc/v4"
)

// Codecs every participant may publish. Browsers on every platform decode
// them, so a subscriber can always take what a publisher sends without
// transcoding. The payload types follow Chrome's usual numbering.
func registerCodecs(m *webrtc.MediaEngine) error {
	videoFeedback := []webrtc.RTCPFeedback{
		{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"},
		{Type: webrtc.TypeRTCPFBTransportCC},
	}
	codecs := []struct {
		kind  webrtc.RTPCodecType
		codec webrtc.RTPCodecParameters
	}{
		{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1",
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		}}},
		// G.711 comes from cameras; every browser plays it.
		{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecParameters{PayloadType: 0, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypePCMU, ClockRate: 8000,
		}}},
		{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecParameters{PayloadType: 8, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypePCMA, ClockRate: 8000,
		}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback,
		}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFeedback,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
		}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 106, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFeedback,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
		}}},
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 112, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: videoFeedback,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640032",
		}}},
		// H.265 only reaches browsers that offer it (cameras' main streams).
		{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecParameters{PayloadType: 116, RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH265, ClockRate: 90000, RTCPFeedback: videoFeedback,
		}}},
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c.codec, c.kind); err != nil {
			return fmt.Errorf("register codec %s: %w", c.codec.MimeType, err)
		}
	}
	return nil
}

// participantNackHistory is how many packets of each participant track
// pion keeps per subscriber for retransmission.
const participantNackHistory = 512

// newAPI builds the pion API shared by every peer connection of the SFU:
// codecs, interceptors (NACK both ways, RTCP sender and receiver reports,
// transport-wide congestion control feedback for publishers) and transport
// settings.
func newAPI(cfg Config, feeds *feedSSRCs) (*webrtc.API, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	// Camera tracks are retransmitted from their feed's cache (retransmit.go);
	// pion keeps copies only of participants' packets.
	notFeed := func(info *interceptor.StreamInfo) bool {
		if feeds.has(webrtc.SSRC(info.SSRC)) {
			return false
		}
		for _, fb := range info.RTCPFeedback {
			if fb.Type == "nack" && fb.Parameter == "" {
				return true
			}
		}
		return false
	}
	if err := webrtc.ConfigureNackWithOptions(m, reg, nil,
		nack.ResponderStreamsFilter(notFeed), nack.ResponderSize(participantNackHistory)); err != nil {
		return nil, fmt.Errorf("configure NACK: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("configure RTCP reports: %w", err)
	}
	if err := webrtc.ConfigureTWCCSender(m, reg); err != nil {
		return nil, fmt.Errorf("configure TWCC: %w", err)
	}

	var se webrtc.SettingEngine
	// AES-GCM first: it costs a fraction of AES-CM + HMAC-SHA1 per packet.
	se.SetSRTPProtectionProfiles(
		dtls.SRTP_AEAD_AES_128_GCM,
		dtls.SRTP_AEAD_AES_256_GCM,
		dtls.SRTP_AES128_CM_HMAC_SHA1_80,
	)
	// A participant whose network dies must leave the room quickly: ICE
	// declares the connection failed after ICEFailedTimeout without answer.
	se.SetICETimeouts(cfg.ICEDisconnectedTimeout, cfg.ICEFailedTimeout, 2*time.Second)
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	if len(cfg.NetworkTypes) > 0 {
		se.SetNetworkTypes(cfg.NetworkTypes)
	}
	if cfg.ConfigureTransport != nil {
		if err := cfg.ConfigureTransport(&se); err != nil {
			return nil, fmt.Errorf("configure transport: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), nil
}
