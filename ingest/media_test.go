package ingest

import (
	"testing"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

func audioMedia(f format.Format) *description.Media {
	return &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
}

func videoMedia(f format.Format) *description.Media {
	return &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
}

func TestChooseMedia(t *testing.T) {
	aac := &format.MPEG4Audio{PayloadTyp: 97, Config: &mpeg4audio.AudioSpecificConfig{
		Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 16000, ChannelCount: 1,
	}, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
	pcmu := &format.G711{PayloadTyp: 0, MULaw: true, SampleRate: 8000, ChannelCount: 1}
	pcma := &format.G711{PayloadTyp: 8, SampleRate: 8000, ChannelCount: 1}
	pcmu16 := &format.G711{PayloadTyp: 100, MULaw: true, SampleRate: 16000, ChannelCount: 1}
	opus := &format.Opus{PayloadTyp: 111, ChannelCount: 2}
	h264 := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	h265 := &format.H265{PayloadTyp: 98}
	back := audioMedia(pcmu)
	back.IsBackChannel = true

	cases := []struct {
		name            string
		medias          []*description.Media
		err             string
		video, audio    string
		note            string
		rate, channels  int
		videoFormatWant format.Format
	}{
		{name: "H264 and PCMU", medias: []*description.Media{videoMedia(h264), audioMedia(pcmu)}, video: "H264", audio: "PCMU", rate: 8000, channels: 1},
		{name: "H264 preferred", medias: []*description.Media{videoMedia(h265), videoMedia(h264)}, video: "H264", videoFormatWant: h264},
		{name: "H265 alone", medias: []*description.Media{videoMedia(h265), audioMedia(pcma)}, video: "H265", audio: "PCMA", rate: 8000, channels: 1},
		{name: "AAC", medias: []*description.Media{videoMedia(h264), audioMedia(aac)}, video: "H264", note: "audio not supported (AAC)"},
		{name: "AAC then PCMU", medias: []*description.Media{videoMedia(h264), audioMedia(aac), audioMedia(pcmu)}, video: "H264", audio: "PCMU", rate: 8000, channels: 1},
		{name: "G.711 at 16 kHz", medias: []*description.Media{videoMedia(h264), audioMedia(pcmu16)}, video: "H264", note: "audio not supported (PCMU at 16000 Hz)"},
		{name: "Opus", medias: []*description.Media{videoMedia(h264), audioMedia(opus)}, video: "H264", audio: "Opus", rate: 48000, channels: 2},
		{name: "back channel ignored", medias: []*description.Media{videoMedia(h264), back}, video: "H264"},
		{name: "MJPEG", medias: []*description.Media{videoMedia(&format.MJPEG{})}, err: "codec MJPEG not supported"},
		{name: "VP8", medias: []*description.Media{videoMedia(&format.VP8{PayloadTyp: 96})}, err: "codec VP8 not supported"},
		{name: "audio only", medias: []*description.Media{audioMedia(pcmu)}, err: reasonNoVideo},
		{name: "nothing", err: reasonNoVideo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := chooseMedia(&description.Session{Medias: tc.medias})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.videoName() != tc.video || m.audioName != tc.audio || m.audioNote != tc.note {
				t.Fatalf("video %q audio %q note %q", m.videoName(), m.audioName, m.audioNote)
			}
			if tc.audio != "" && (m.clockRate != tc.rate || m.channels != tc.channels || m.audio == nil) {
				t.Fatalf("audio %d Hz %d channels", m.clockRate, m.channels)
			}
			if tc.videoFormatWant != nil && m.videoForma != tc.videoFormatWant {
				t.Fatalf("video format %v", m.videoForma)
			}
		})
	}
}
