package mediaport

import "net"

// listenUDP opens the media UDP socket.
func listenUDP(addr string) (net.PacketConn, error) {
	return net.ListenPacket("udp", addr)
}
