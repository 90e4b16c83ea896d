package main

import (
	"context"
	"net/http"
	"path/filepath"

	"vigie/files"
	"vigie/signaling"
)

// sharedFiles is the files shared in rooms and the camera access log.
type sharedFiles struct {
	store   *files.Store
	viewing *files.ViewingLog
}

// startFiles wires the file API on mux and camera watch logging into
// signaling.
func (s *server) startFiles() error {
	st := &files.Store{Dir: filepath.Join(s.cfg.Data, "files"), DB: s.store, MaxSize: int64(s.cfg.Files.MaxSize)}
	if err := st.Init(); err != nil {
		return err
	}
	s.files = &sharedFiles{store: st, viewing: files.NewViewingLog(s.store, s.log)}
	s.signaling.Viewing = s.files.viewing
	return nil
}

func (s *server) fileRoutes(mux *http.ServeMux) {
	api := &files.API{Files: s.files.store, Auth: roomMembers{s.signaling}, Notify: s.signaling, Log: s.log}
	h := api.Handler()
	mux.Handle("/api/v1/rooms/{room}/files", h)
	mux.Handle("/api/v1/rooms/{room}/files/{id}", h)
}

func (f *sharedFiles) close() {
	if f != nil {
		f.viewing.Close()
	}
}

// roomMembers checks join tokens for the file API as signaling does.
type roomMembers struct{ sig *signaling.Server }

func (m roomMembers) Member(ctx context.Context, room, tok string) (files.Member, *files.Denied) {
	c, name, e := m.sig.RoomMember(ctx, room, tok)
	if e != nil {
		return files.Member{}, &files.Denied{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	return files.Member{ID: c.Subject, Name: name, Role: c.Role}, nil
}
