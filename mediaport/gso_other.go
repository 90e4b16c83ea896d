//go:build !linux

package mediaport

import "net"

func probeGSO(*net.UDPConn) bool { return false }

var segmentOOBSpace = 0

func putSegmentSize(oob []byte, _ int) []byte { return oob[:0] }

func gsoRefused(error) bool { return false }
