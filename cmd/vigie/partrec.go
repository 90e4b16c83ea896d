package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"vigie/config"
	"vigie/record"
	"vigie/sfu"
)

// startParticipantRecording builds the recorder of participants' tracks
// when recording.participants is on. The SFU asks it for a sink of every
// track published (participantTrack); the rooms of open incidents get one.
func (s *server) startParticipantRecording(cfg config.Config, log *slog.Logger) error {
	if !cfg.Recording.Enabled || !cfg.Recording.Participants {
		return nil
	}
	p, err := record.NewParticipants(record.ParticipantsConfig{
		Dir: filepath.Join(cfg.Data, "recordings"), Segment: cfg.Recording.Segment.Std(),
		Log: log.With("component", "record"),
	})
	if err != nil {
		return err
	}
	s.participants = p
	s.signaling.Recorded = s.roomRecorded
	return nil
}

// participantLookup bounds the store look-up made when a track starts.
const participantLookup = 5 * time.Second

// participantTrack is the SFU's OnPublishedTrack hook: a sink for a track
// published in an open incident's room, nil otherwise. It runs on the
// goroutine pion gives the new track.
func (s *server) participantTrack(tr sfu.PublishedTrack) sfu.RTPSink {
	if s.participants == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), participantLookup)
	defer cancel()
	inc, err := s.store.OpenIncidentOfRoom(ctx, tr.Room)
	if err != nil {
		return nil // not an incident's room, or closed
	}
	name := s.signaling.ParticipantName(tr.Room, tr.Participant)
	if name == "" {
		name = "participant"
	}
	t := s.participants.Track(record.TrackInfo{
		Incident: inc.ID, Participant: tr.Participant, Name: name, Source: string(tr.Source),
		Codec: tr.Codec, Keyframe: tr.RequestKeyframe,
	})
	if t == nil {
		return nil // never a typed nil in the interface
	}
	return t
}

// roomRecorded tells signaling whether a room's participants are recorded:
// it is an open incident's.
func (s *server) roomRecorded(roomID string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), participantLookup)
	defer cancel()
	_, err := s.store.OpenIncidentOfRoom(ctx, roomID)
	return err == nil
}

// incidentRecording is what incidents start and stop: the cameras'
// recorder and the participants' one.
type incidentRecording struct {
	cameras      *record.Recorder
	participants *record.Participants
}

func (r incidentRecording) Start(incidentID string, cameras []string, alarmAt time.Time) {
	r.cameras.Start(incidentID, cameras, alarmAt)
}

// Stop ends the incident's files; its participants' tracks go on in the
// room (until the room closes them) but are no longer recorded.
func (r incidentRecording) Stop(incidentID string) {
	r.cameras.Stop(incidentID)
	r.participants.Stop(incidentID)
}

func (s *server) closeParticipantRecording() {
	if s.participants != nil {
		s.participants.Close()
	}
}
