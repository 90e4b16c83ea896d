//go:build linux

package mediaport

import (
	"encoding/binary"
	"errors"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// probeGSO says whether the kernel segments UDP for s (UDP_SEGMENT, Linux
// 4.18 and later): one message then carries several datagrams to one
// destination, and the kernel walks its send path once for all of them.
func probeGSO(s *net.UDPConn) bool {
	rc, err := s.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	_ = rc.Control(func(fd uintptr) {
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		ok = err == nil
	})
	return ok
}

// segmentOOBSpace is the control message room one GSO message needs.
var segmentOOBSpace = unix.CmsgSpace(2)

// putSegmentSize writes the UDP_SEGMENT control message for datagrams of
// size bytes into oob (8-byte aligned, segmentOOBSpace long).
func putSegmentSize(oob []byte, size int) []byte {
	h := (*unix.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = unix.IPPROTO_UDP
	h.Type = unix.UDP_SEGMENT
	h.SetLen(unix.CmsgLen(2))
	binary.NativeEndian.PutUint16(oob[unix.CmsgLen(0):], uint16(size))
	return oob[:segmentOOBSpace]
}

// gsoRefused says that the device cannot segment at all (no checksum
// offload): GSO is then left off for the socket.
func gsoRefused(err error) bool { return errors.Is(err, unix.EIO) }
