package ingest

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

// sessionError ends a session with the state and reason the camera tile must show.
type sessionError struct {
	state  State
	reason string
}

func (e *sessionError) Error() string { return e.reason }

// failure is an end that retrying soon cannot fix: the camera's settings (or vigie's) must
// change first.
func failure(reason string) error {
	return &sessionError{state: StateFailed, reason: reason}
}

// classify turns the error that ended a session into what the camera tile shows.
// withCredentials tells a wrong password from a missing one.
func classify(err error, withCredentials bool) (State, string) {
	var se *sessionError
	if errors.As(err, &se) {
		return se.state, se.reason
	}
	if st, reason, ok := classifyTLS(err); ok {
		return st, reason
	}
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		return classifyStatus(bad, withCredentials)
	}
	return classifyProtocol(err)
}

func classifyTLS(err error) (State, string, bool) {
	var (
		pin        *fingerprintError
		verify     *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostname   x509.HostnameError
		invalid    x509.CertificateInvalidError
		recordHead tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &pin):
		return StateFailed, reasonCertPin, true
	case errors.As(err, &verify), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid):
		return StateFailed, reasonCertUntrusted, true
	case errors.As(err, &recordHead):
		return StateFailed, reasonNoTLS, true
	}
	return "", "", false
}

func classifyStatus(bad liberrors.ErrClientBadStatusCode, withCredentials bool) (State, string) {
	switch bad.Code {
	case base.StatusUnauthorized:
		if !withCredentials {
			return StateFailed, reasonNeedAuth
		}
		return StateFailed, reasonAuth
	case base.StatusForbidden:
		return StateFailed, reasonForbidden
	case base.StatusNotFound:
		return StateFailed, reasonNotFound
	case base.StatusUnsupportedTransport:
		return StateFailed, reasonTransport
	}
	msg := "camera answered " + strconv.Itoa(int(bad.Code))
	if bad.Message != "" {
		msg += " " + bad.Message
	}
	return StateReconnecting, msg
}

func classifyProtocol(err error) (State, string) {
	var (
		authSetup liberrors.ErrClientAuthSetup
		sdp       liberrors.ErrClientSDPInvalid
		op        *net.OpError
		dns       *net.DNSError
	)
	switch {
	case errors.As(err, &authSetup):
		return StateFailed, reasonAuthMethod
	case errors.As(err, &liberrors.ErrClientH264PacketizationMode0{}),
		errors.As(err, &liberrors.ErrClientServerRequestedTCP{}):
		return StateFailed, reasonNeedTCP
	case errors.As(err, &sdp), errors.As(err, &liberrors.ErrClientContentTypeMissing{}),
		errors.As(err, &liberrors.ErrClientContentTypeUnsupported{}):
		return StateFailed, reasonBadStream
	case errors.As(err, &liberrors.ErrClientTCPTimeout{}), errors.As(err, &liberrors.ErrClientUDPTimeout{}):
		return StateReconnecting, reasonStopped
	case errors.As(err, &liberrors.ErrClientRequestTimedOut{}):
		return StateReconnecting, reasonNoAnswer
	case errors.As(err, &dns), errors.As(err, &op) && op.Op == "dial":
		return StateReconnecting, reasonUnreachable
	}
	return StateReconnecting, reasonLost
}
