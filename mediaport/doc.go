// Package mediaport opens the server's WebRTC media ports.
package mediaport
