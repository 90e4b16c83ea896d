package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	cases := []struct {
		name      string
		err       error
		withCreds bool
		state     State
		reason    string
	}{
		{"wrong password", liberrors.ErrClientBadStatusCode{Code: base.StatusUnauthorized}, true, StateFailed, reasonAuth},
		{"missing password", liberrors.ErrClientBadStatusCode{Code: base.StatusUnauthorized}, false, StateFailed, reasonNeedAuth},
		{"forbidden", liberrors.ErrClientBadStatusCode{Code: base.StatusForbidden}, true, StateFailed, reasonForbidden},
		{"not found", liberrors.ErrClientBadStatusCode{Code: base.StatusNotFound}, true, StateFailed, reasonNotFound},
		{"busy", liberrors.ErrClientBadStatusCode{Code: 503, Message: "Service Unavailable"}, true, StateReconnecting, "camera answered 503 Service Unavailable"},
		{"refused", refused, false, StateReconnecting, reasonUnreachable},
		{"wrapped refused", fmt.Errorf("describe: %w", refused), false, StateReconnecting, reasonUnreachable},
		{"no such host", &net.DNSError{Err: "no such host", Name: "cam"}, false, StateReconnecting, reasonUnreachable},
		{"dropped", io.EOF, false, StateReconnecting, reasonLost},
		{"reset", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, false, StateReconnecting, reasonLost},
		{"silent", liberrors.ErrClientTCPTimeout{}, false, StateReconnecting, reasonStopped},
		{"no answer", liberrors.ErrClientRequestTimedOut{}, false, StateReconnecting, reasonNoAnswer},
		{"B-frames", failure(reasonBFrames), false, StateFailed, reasonBFrames},
		{"MJPEG", failure("codec MJPEG not supported"), false, StateFailed, "codec MJPEG not supported"},
		{"pin", &fingerprintError{got: "00"}, false, StateFailed, reasonCertPin},
		{"unknown CA", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, false, StateFailed, reasonCertUntrusted},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, false, StateFailed, reasonNoTLS},
		{"mode 0 over UDP", liberrors.ErrClientH264PacketizationMode0{}, false, StateFailed, reasonNeedTCP},
		{"bad SDP", liberrors.ErrClientSDPInvalid{Err: errors.New("x")}, false, StateFailed, reasonBadStream},
		{"sign-in method", liberrors.ErrClientAuthSetup{Err: errors.New("x")}, true, StateFailed, reasonAuthMethod},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			state, reason := classify(tc.err, tc.withCreds)
			if state != tc.state || reason != tc.reason {
				t.Fatalf("classify(%v) = %s %q, want %s %q", tc.err, state, reason, tc.state, tc.reason)
			}
		})
	}
}

func TestReporterOnlyChanges(t *testing.T) {
	rec := newRecorder()
	r := reporter{pub: rec, log: slog.New(slog.DiscardHandler)}
	r.setState(StateConnecting, "")
	r.setState(StateReconnecting, reasonUnreachable)
	r.setState(StateReconnecting, reasonUnreachable)
	r.setMedia("H264", "PCMU", "")
	r.setState(StateLive, "")
	r.setState(StateLive, "")
	r.setState(StateReconnecting, reasonLost)
	r.setState(StateReconnecting, reasonUnreachable)
	want := []Status{
		{State: StateConnecting},
		{State: StateReconnecting, Reason: reasonUnreachable},
		{State: StateLive, Video: "H264", Audio: "PCMU"},
		{State: StateReconnecting, Reason: reasonLost, Video: "H264", Audio: "PCMU"},
		{State: StateReconnecting, Reason: reasonUnreachable, Video: "H264", Audio: "PCMU"},
	}
	if len(rec.statuses) != len(want) {
		t.Fatalf("statuses %+v, want %+v", rec.statuses, want)
	}
	for i := range want {
		if rec.statuses[i] != want[i] {
			t.Fatalf("status %d: %+v, want %+v", i, rec.statuses[i], want[i])
		}
	}
}

// TestAfterSession: delays follow the backoff, failures wait the longest, and a session
// that stayed live long enough starts the backoff over.
func TestAfterSession(t *testing.T) {
	rec := newRecorder()
	cam, err := New(Config{URL: "rtsp://cam/main"}, rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := backoff{delays: cam.set.backoff}
	lost := sessionEnd{err: io.EOF}
	steps := []struct {
		end  sessionEnd
		want time.Duration
	}{
		{lost, time.Second},
		{lost, 2 * time.Second},
		{lost, 5 * time.Second},
		{sessionEnd{err: io.EOF, liveFor: 29 * time.Second}, 10 * time.Second},
		{sessionEnd{err: io.EOF, liveFor: 30 * time.Second}, time.Second},
		{sessionEnd{err: failure(reasonBFrames), liveFor: time.Second}, 30 * time.Second},
		{lost, 30 * time.Second},
	}
	for i, s := range steps {
		if got := cam.afterSession(s.end, &b); got != s.want {
			t.Fatalf("step %d: wait %v, want %v", i, got, s.want)
		}
	}
	if got := rec.statuses[len(rec.statuses)-1]; got.State != StateReconnecting || got.Reason != reasonLost {
		t.Fatalf("last status %+v", got)
	}
}
