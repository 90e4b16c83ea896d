package signaling

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/pion/webrtc/v4"

	"vigie/sfu"
)

// maxFragBytes bounds a PATCH body: candidates of a few m-lines.
const maxFragBytes = 16 << 10

// sdpFrag is what a trickle-ice-sdpfrag (RFC 8840) body carries.
type sdpFrag struct {
	ufrag      string
	candidates []webrtc.ICECandidateInit
}

// parseSDPFrag reads the ICE credentials and the candidates, each tied to
// the mid of its m-line (or to the first m-line when none is named).
func parseSDPFrag(body string) (sdpFrag, error) {
	var f sdpFrag
	var mid *string
	var index uint16
	section := -1
	for _, line := range strings.Split(body, "\n") {
		line = strings.TrimRight(line, "\r")
		switch {
		case line == "":
		case strings.HasPrefix(line, "m="):
			section++
			index, mid = uint16(section), nil
		case strings.HasPrefix(line, "a=mid:"):
			m := strings.TrimPrefix(line, "a=mid:")
			mid = &m
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			f.ufrag = strings.TrimPrefix(line, "a=ice-ufrag:")
		case strings.HasPrefix(line, "a=candidate:"):
			c := webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a=")}
			if mid != nil {
				c.SDPMid = mid
			} else {
				i := index
				c.SDPMLineIndex = &i
			}
			f.candidates = append(f.candidates, c)
		case strings.HasPrefix(line, "a="), strings.HasPrefix(line, "c="):
			// ice-pwd, ice-options, end-of-candidates, group: nothing to do
		default:
			return f, errors.New("not a trickle-ice-sdpfrag line: " + quoteShort(line))
		}
	}
	return f, nil
}

// sdpUfrag finds the first a=ice-ufrag of a session description.
func sdpUfrag(sdp string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if u, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "a=ice-ufrag:"); ok {
			return u
		}
	}
	return ""
}

// patchWHEP trickles the client's candidates into a session. An ICE
// restart (new credentials) is not supported: the client ends the session
// and POSTs again.
func (s *Server) patchWHEP(kind string) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		w, ok := s.session(rw, r, kind)
		if !ok {
			return
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != mimeSDPFrag {
			writePlain(rw, &Error{http.StatusUnsupportedMediaType, CodeBadRequest, "the body must be Content-Type: application/trickle-ice-sdpfrag"})
			return
		}
		if m := r.Header.Get("If-Match"); m != "" && m != "*" && m != w.etag {
			writePlain(rw, &Error{http.StatusPreconditionFailed, CodeBadRequest, "If-Match does not match the session's ETag"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, maxFragBytes))
		if err != nil {
			writePlain(rw, &Error{http.StatusBadRequest, CodeBadRequest, "the body is over 16 KiB"})
			return
		}
		frag, err := parseSDPFrag(string(body))
		if err != nil {
			writePlain(rw, &Error{http.StatusBadRequest, CodeBadRequest, err.Error()})
			return
		}
		w.mu.Lock()
		viewer, peer := w.viewer, w.peer
		w.mu.Unlock()
		remote := ""
		switch {
		case viewer != nil:
			remote = viewer.RemoteSDP()
		case peer != nil:
			remote = peer.PublishRemoteSDP()
		}
		if frag.ufrag != "" && frag.ufrag != sdpUfrag(remote) {
			writePlain(rw, &Error{http.StatusUnprocessableEntity, CodeBadRequest, "ICE restart is not supported: DELETE this session and POST a new offer"})
			return
		}
		for _, c := range frag.candidates {
			var err error
			if viewer != nil {
				err = viewer.AddICECandidate(c)
			} else if peer != nil {
				err = peer.AddICECandidate(sfu.PCPublish, c)
			}
			if err != nil {
				w.log.Debug("candidate refused", "err", err)
			}
		}
		rw.Header().Set("ETag", w.etag)
		rw.WriteHeader(http.StatusNoContent)
	}
}
