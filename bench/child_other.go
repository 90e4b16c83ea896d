//go:build unix && !linux

package bench

import "syscall"

// childProcAttr puts a child in its own process group; without Linux's
// parent-death signal, a crashed bench may leave it running.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
