//go:build !linux

package mediaport

import "net"

// reuseListenConfig: without SO_REUSEPORT semantics, one socket serves the port.
func reuseListenConfig(bool) net.ListenConfig { return net.ListenConfig{} }

func maxSockets() int { return 1 }
