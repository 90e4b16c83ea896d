package camsim

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

// listener is one life of the RTSP server, from boot to shutdown or reboot:
// a gortsplib server with one stream per camera path. It serves over TCP
// (interleaved) only; a client asking for UDP is refused and falls back to TCP.
type listener struct {
	rtsp       *gortsplib.Server
	user, pass string
	log        *slog.Logger
	playback   *playbackLog // PLAY requests on PlaybackPath

	mu       sync.Mutex // guards the maps below; held while the streams are made
	streams  map[string]*gortsplib.ServerStream
	sessions map[*gortsplib.ServerSession]struct{}
	conns    map[*gortsplib.ServerConn]struct{}
}

// listen starts an RTSP server on addr with one stream per camera.
// Requests that arrive before the streams exist wait for them.
func listen(addr string, cams []*camera, cfg Config, log *slog.Logger, pb *playbackLog) (*listener, error) {
	l := &listener{
		playback: pb,
		user:     cfg.User,
		pass:     cfg.Pass,
		log:      log,
		streams:  make(map[string]*gortsplib.ServerStream, len(cams)),
		sessions: make(map[*gortsplib.ServerSession]struct{}),
		conns:    make(map[*gortsplib.ServerConn]struct{}),
	}
	l.rtsp = &gortsplib.Server{Handler: l, RTSPAddress: addr, IdleTimeout: cfg.IdleTimeout}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.rtsp.Start(); err != nil {
		return nil, fmt.Errorf("camera simulator: listen on %s: %w", addr, err)
	}
	for _, cam := range cams {
		st := &gortsplib.ServerStream{Server: l.rtsp, Desc: cam.clip.desc}
		if err := st.Initialize(); err != nil {
			l.closeStreamsLocked()
			l.rtsp.Close()
			return nil, fmt.Errorf("camera simulator: stream %s: %w", cam.path, err)
		}
		l.streams[cam.path] = st
	}
	return l, nil
}

// addr is the address the server listens on, with the port it was given.
func (l *listener) addr() string {
	return l.rtsp.NetListener().Addr().String()
}

// stream returns the stream of a camera path, nil if there is none.
func (l *listener) stream(path string) *gortsplib.ServerStream {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.streams[path]
}

// close ends every stream, session and connection and stops listening.
func (l *listener) close() {
	l.mu.Lock()
	l.closeStreamsLocked()
	l.mu.Unlock()
	l.rtsp.Close()
}

func (l *listener) closeStreamsLocked() {
	for path, st := range l.streams {
		st.Close()
		delete(l.streams, path)
	}
}

// drop closes every session and connection, as a camera dropping its
// clients; the server keeps listening.
func (l *listener) drop() {
	l.mu.Lock()
	sessions := make([]*gortsplib.ServerSession, 0, len(l.sessions))
	for ss := range l.sessions {
		sessions = append(sessions, ss)
	}
	conns := make([]*gortsplib.ServerConn, 0, len(l.conns))
	for sc := range l.conns {
		conns = append(conns, sc)
	}
	l.mu.Unlock()
	for _, ss := range sessions {
		ss.Close()
	}
	for _, sc := range conns {
		sc.Close()
	}
}

// OnConnOpen implements gortsplib.ServerHandlerOnConnOpen.
func (l *listener) OnConnOpen(ctx *gortsplib.ServerHandlerOnConnOpenCtx) {
	l.mu.Lock()
	l.conns[ctx.Conn] = struct{}{}
	l.mu.Unlock()
	l.log.Debug("camera simulator: connection opened", "remote", ctx.Conn.NetConn().RemoteAddr().String())
}

// OnConnClose implements gortsplib.ServerHandlerOnConnClose.
func (l *listener) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	l.mu.Lock()
	delete(l.conns, ctx.Conn)
	l.mu.Unlock()
	l.log.Debug("camera simulator: connection closed",
		"remote", ctx.Conn.NetConn().RemoteAddr().String(), "err", ctx.Error)
}

// OnSessionOpen implements gortsplib.ServerHandlerOnSessionOpen.
func (l *listener) OnSessionOpen(ctx *gortsplib.ServerHandlerOnSessionOpenCtx) {
	l.mu.Lock()
	l.sessions[ctx.Session] = struct{}{}
	l.mu.Unlock()
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (l *listener) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	l.mu.Lock()
	delete(l.sessions, ctx.Session)
	l.mu.Unlock()
	l.log.Info("camera simulator: session closed", "path", ctx.Session.Path(), "err", ctx.Error)
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (l *listener) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return l.serve(ctx.Conn, ctx.Request, ctx.Path)
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (l *listener) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return l.serve(ctx.Conn, ctx.Request, ctx.Path)
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (l *listener) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	l.log.Info("camera simulator: playing", "path", ctx.Path,
		"remote", ctx.Conn.NetConn().RemoteAddr().String())
	if ctx.Path == PlaybackPath {
		return l.playbackResponse(ctx.Request, ctx.Query), nil
	}
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// serve answers DESCRIBE and SETUP: credentials first, then the path's stream.
func (l *listener) serve(sc *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *gortsplib.ServerStream, error) {
	if l.user != "" && !sc.VerifyCredentials(req, l.user, l.pass) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	if path == PlaybackPath {
		path = "/main" // the recorder serves the main clip
	}
	st := l.stream(path)
	if st == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st, nil
}
