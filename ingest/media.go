package ingest

import (
	"strconv"
	"strings"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
)

// Codec names handed to the Publisher.
const (
	codecNameH264 = "H264"
	codecNameH265 = "H265"
	codecNamePCMU = "PCMU"
	codecNamePCMA = "PCMA"
	codecNameOpus = "Opus"
)

// mediaChoice is what one session plays from the camera's stream description.
type mediaChoice struct {
	video      *description.Media
	videoForma format.Format // *format.H264 or *format.H265
	codec      videoCodec

	audio      *description.Media // nil: no playable audio
	audioForma format.Format
	audioName  string // "PCMU", "PCMA" or "Opus"
	clockRate  int
	channels   int
	audioNote  string // why the camera's audio is not passed on, if it has some
}

func (m mediaChoice) videoName() string {
	if m.codec == codecH265 {
		return codecNameH265
	}
	return codecNameH264
}

// chooseMedia picks H.264 video (else H.265) and G.711 or Opus audio.
func chooseMedia(desc *description.Session) (mediaChoice, error) {
	var m mediaChoice
	if err := m.chooseVideo(desc.Medias); err != nil {
		return m, err
	}
	m.chooseAudio(desc.Medias)
	return m, nil
}

func (m *mediaChoice) chooseVideo(medias []*description.Media) error {
	unsupported := ""
	for _, want := range []videoCodec{codecH264, codecH265} {
		for _, medi := range medias {
			if medi.IsBackChannel {
				continue
			}
			for _, f := range medi.Formats {
				if videoCodecOf(f) == want {
					m.video, m.videoForma, m.codec = medi, f, want
					return nil
				}
				if unsupported == "" && medi.Type == description.MediaTypeVideo && videoCodecOf(f) == 0 {
					unsupported = formatName(f)
				}
			}
		}
	}
	if unsupported != "" {
		return failure("codec " + unsupported + " not supported")
	}
	return failure(reasonNoVideo)
}

func videoCodecOf(f format.Format) videoCodec {
	switch f.(type) {
	case *format.H264:
		return codecH264
	case *format.H265:
		return codecH265
	}
	return 0
}

func (m *mediaChoice) chooseAudio(medias []*description.Media) {
	unsupported := ""
	for _, medi := range medias {
		if medi.IsBackChannel || medi.Type != description.MediaTypeAudio {
			continue
		}
		for _, f := range medi.Formats {
			if name, rate, ch, ok := playableAudio(f); ok {
				m.audio, m.audioForma = medi, f
				m.audioName, m.clockRate, m.channels = name, rate, ch
				return
			}
			if unsupported == "" {
				unsupported = audioName(f)
			}
		}
	}
	if unsupported != "" {
		m.audioNote = "audio not supported (" + unsupported + ")"
	}
}

// playableAudio reports whether browsers can play the format as it is: G.711 at 8 kHz
// (WebRTC has no other rate for it) and Opus in mono or stereo.
func playableAudio(f format.Format) (name string, clockRate, channels int, ok bool) {
	switch f := f.(type) {
	case *format.G711:
		if f.SampleRate != 8000 {
			return "", 0, 0, false
		}
		name = codecNamePCMA
		if f.MULaw {
			name = codecNamePCMU
		}
		return name, f.SampleRate, max(f.ChannelCount, 1), true
	case *format.Opus:
		if f.ChannelCount > 2 {
			return "", 0, 0, false
		}
		return codecNameOpus, f.ClockRate(), max(f.ChannelCount, 1), true
	}
	return "", 0, 0, false
}

// audioName names an unplayable audio format for the camera tile.
func audioName(f format.Format) string {
	switch f := f.(type) {
	case *format.G711:
		name := codecNamePCMA
		if f.MULaw {
			name = codecNamePCMU
		}
		return name + " at " + strconv.Itoa(f.SampleRate) + " Hz"
	case *format.Opus:
		return "Opus with " + strconv.Itoa(f.ChannelCount) + " channels"
	}
	return formatName(f)
}

// formatName names a format the way camera settings pages do.
func formatName(f format.Format) string {
	switch f.(type) {
	case *format.H264:
		return codecNameH264
	case *format.H265:
		return codecNameH265
	case *format.MJPEG:
		return "MJPEG"
	case *format.MPEG4Video:
		return "MPEG-4"
	case *format.MPEG1Video:
		return "MPEG-1/2"
	case *format.VP8:
		return "VP8"
	case *format.VP9:
		return "VP9"
	case *format.AV1:
		return "AV1"
	case *format.MPEG4Audio, *format.MPEG4AudioLATM:
		return "AAC"
	case *format.G722:
		return "G.722"
	case *format.G726:
		return "G.726"
	case *format.LPCM:
		return "LPCM"
	case *format.MPEG1Audio:
		return "MP3"
	case *format.AC3:
		return "AC-3"
	case *format.Speex:
		return "Speex"
	case *format.Vorbis:
		return "Vorbis"
	case *format.Opus:
		return codecNameOpus
	case *format.G711:
		return audioName(f)
	}
	return rtpmapName(f.RTPMap())
}

// rtpmapName returns the encoding name of an rtpmap ("H264/90000" gives "H264").
func rtpmapName(rtpmap string) string {
	name, _, _ := strings.Cut(rtpmap, "/")
	if name == "" {
		return "unknown"
	}
	return name
}
