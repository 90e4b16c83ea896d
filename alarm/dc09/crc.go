// Package dc09 is the ANSI/SIA DC-09 wire codec: CRC-16/ARC, frame parsing,
// stream splitting, AES-CBC encryption of the bracketed part, the Contact ID
// and SIA DC-03 payloads, and the receiver's replies (ACK, NAK, DUH).
//
// Everything here is a pure function of its input: no sockets, no clock, no
// randomness unless passed in. The receiver lives in package alarm.
package dc09

// CRC returns the CRC-16/ARC of b: reflected polynomial 0xA001, initial value
// 0, no final xor. DC-09 computes it over the bytes from the first '"' up to,
// not including, the CR. CRC([]byte("123456789")) == 0xBB3D.
func CRC(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c ^= uint16(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA001
			} else {
				c >>= 1
			}
		}
	}
	return c
}
