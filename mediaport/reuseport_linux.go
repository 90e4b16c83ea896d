package mediaport

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// reuseListenConfig lets several sockets bind one UDP port (Linux 3.9+);
// the kernel then spreads incoming flows over them.
func reuseListenConfig(reuse bool) net.ListenConfig {
	if !reuse {
		return net.ListenConfig{}
	}
	return net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		})
		if err != nil {
			return err
		}
		return serr
	}}
}

func maxSockets() int { return 64 }
