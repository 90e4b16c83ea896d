package signaling

import (
	"encoding/json"
	"errors"
	"net/http"

	"vigie/token"
)

// Error codes shared by the HTTP API and WebSocket error messages
// (docs/protocol.md); the web client turns each into a sentence.
const (
	CodeTokenMissing      = "token_missing"
	CodeTokenInvalid      = "token_invalid"
	CodeTokenExpired      = "token_expired"
	CodeTokenWrongRoom    = "token_wrong_room"
	CodeRoomNotFound      = "room_not_found"
	CodeRoomClosed        = "room_closed"
	CodeUnauthorized      = "unauthorized"
	CodeBadRequest        = "bad_request"
	CodeBadMessage        = "bad_message"
	CodeUnknownType       = "unknown_type"
	CodeNotJoined         = "not_joined"
	CodeTooLarge          = "too_large"
	CodeReplaced          = "replaced"
	CodeNegotiationFailed = "negotiation_failed"
	CodeInternal          = "internal"
	CodeInvitationRevoked = "invitation_revoked"
	CodeForbidden         = "forbidden"
)

// Error is a failure to report to a browser or API client.
type Error struct {
	Status  int    // HTTP status when answered over HTTP
	Code    string // one of the Code constants
	Message string // English, safe to show: no secret, no internals
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// tokenError maps a token verification failure to its Error.
func tokenError(err error) *Error {
	switch {
	case errors.Is(err, token.ErrMissing):
		return &Error{http.StatusUnauthorized, CodeTokenMissing, err.Error()}
	case errors.Is(err, token.ErrExpired):
		return &Error{http.StatusUnauthorized, CodeTokenExpired, err.Error()}
	case errors.Is(err, token.ErrWrongRoom):
		return &Error{http.StatusForbidden, CodeTokenWrongRoom, err.Error()}
	default:
		return &Error{http.StatusUnauthorized, CodeTokenInvalid, token.ErrInvalid.Error()}
	}
}

// WriteError answers an HTTP request with {"error":{"code","message"}}.
func WriteError(w http.ResponseWriter, e *Error) {
	WriteJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": e.Message}})
}

// WriteJSON answers with v as JSON and the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
