package linksim

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// netnsDir is where `ip netns add` mounts the namespaces it names.
const netnsDir = "/run/netns"

// OpenTUN creates the TUN device name (IP packets, no header) in the
// network namespace netns, as named by `ip netns`, and returns it open.
// The device lives as long as the file: closing it removes the device.
// It needs CAP_NET_ADMIN (root).
func OpenTUN(netns, name string) (*os.File, error) {
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	// A thread of its own enters the namespace; were it unable to come
	// back, the goroutine ends locked to it and Go discards the thread.
	go func() {
		runtime.LockOSThread()
		f, back, err := openTUNIn(netns, name)
		if back {
			runtime.UnlockOSThread()
		}
		done <- result{f, err}
	}()
	r := <-done
	return r.f, r.err
}

// openTUNIn opens the device from within netns, on the calling thread;
// back says whether the thread returned to its own namespace.
func openTUNIn(netns, name string) (f *os.File, back bool, err error) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, fmt.Errorf("tun %s: own network namespace: %w", name, err)
	}
	defer self.Close()
	target, err := os.Open(filepath.Join(netnsDir, netns))
	if err != nil {
		return nil, true, fmt.Errorf("tun %s: network namespace %q: %w", name, netns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("tun %s: enter network namespace %q: %w", name, netns, err)
	}
	f, err = createTUN(name)
	if err2 := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err2 != nil {
		if f != nil {
			f.Close()
		}
		return nil, false, fmt.Errorf("tun %s: leave network namespace %q: %w", name, netns, err2)
	}
	if err != nil {
		return nil, true, fmt.Errorf("tun %s in network namespace %q: %w", name, netns, err)
	}
	return f, true, nil
}

// createTUN creates the device in the calling thread's namespace.
func createTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF: %w", err)
	}
	// Non-blocking, the file goes to Go's poller: Close ends a pending Read.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun:"+name), nil
}
