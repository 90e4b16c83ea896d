//go:build linux

package linksim

import (
	"encoding/binary"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// packetPair is two connected files that keep packet boundaries, as a
// TUN device does: what one end writes, the other reads whole.
func packetPair(t *testing.T) (link, test *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	link, test = os.NewFile(uintptr(fds[0]), "link"), os.NewFile(uintptr(fds[1]), "test")
	t.Cleanup(func() { test.Close() })
	return link, test
}

// packet is a numbered test packet of size bytes.
func packet(i uint32, size int) []byte {
	p := make([]byte, size)
	binary.BigEndian.PutUint32(p, i)
	return p
}

// receive reads packets from f until want have come or none came for
// quiet; it returns their numbers and arrival times.
func receive(t *testing.T, f *os.File, want int, quiet time.Duration) (nums []uint32, at []time.Time) {
	t.Helper()
	buf := make([]byte, packetSize)
	for len(nums) < want {
		if err := f.SetReadDeadline(time.Now().Add(quiet)); err != nil {
			t.Fatal(err)
		}
		n, err := f.Read(buf)
		if err != nil {
			break
		}
		nums = append(nums, binary.BigEndian.Uint32(buf[:n]))
		at = append(at, time.Now())
	}
	return nums, at
}

// readAll waits until the link has read n packets from a, and if settled
// until it has also dropped or delivered each, and returns its counts then.
func readAll(t *testing.T, link *Link, n int, settled bool) (ab, ba Counts) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ab, ba = link.Counts()
		done := ab.Lost + ab.Overflow + ab.Oversize + ab.Delivered
		if ab.Read >= uint64(n) && (!settled || done == ab.Read) {
			return ab, ba
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 5 s the link has read %d of %d packets: %+v", ab.Read, n, ab)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLink(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		n         int
		size      int
		lostShare [2]float64 // bounds of the share lost
		delay     time.Duration
	}{
		{name: "clean", cfg: Config{}, n: 500, size: 200, lostShare: [2]float64{0, 0}},
		{name: "all lost", cfg: Config{Loss: 1}, n: 200, size: 200, lostShare: [2]float64{1, 1}},
		{name: "5% lost", cfg: Config{Loss: 0.05, Seed: 7}, n: 4000, size: 100, lostShare: [2]float64{0.035, 0.065}},
		{name: "delayed", cfg: Config{Delay: 40 * time.Millisecond}, n: 50, size: 1200, lostShare: [2]float64{0, 0}, delay: 40 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			aLink, aTest := packetPair(t)
			bLink, bTest := packetPair(t)
			// Room for every packet: the test reads slower than the link.
			tt.cfg.Queue = tt.n
			link, err := Start(aLink, bLink, tt.cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer link.Close()
			want := tt.n - int(tt.lostShare[0]*float64(tt.n))
			type arrivals struct {
				nums []uint32
				at   []time.Time
			}
			got := make(chan arrivals, 1)
			go func() {
				nums, at := receive(t, bTest, want, 300*time.Millisecond+tt.delay)
				got <- arrivals{nums, at}
			}()
			sent := make([]time.Time, tt.n)
			for i := range tt.n {
				sent[i] = time.Now()
				if _, err := aTest.Write(packet(uint32(i), tt.size)); err != nil {
					t.Fatal(err)
				}
			}
			r := <-got
			nums, at := r.nums, r.at
			for k := 1; k < len(nums); k++ {
				if nums[k] <= nums[k-1] {
					t.Fatalf("packet %d arrived after %d: out of order", nums[k], nums[k-1])
				}
			}
			for k, i := range nums {
				if d := at[k].Sub(sent[i]); d < tt.delay {
					t.Fatalf("packet %d crossed in %v, less than the delay %v", i, d, tt.delay)
				}
			}
			ab, ba := readAll(t, link, tt.n, true)
			if ab.Read != uint64(tt.n) || ab.Overflow != 0 || ab.Oversize != 0 || ba.Read != 0 {
				t.Fatalf("counts a→b %+v, b→a %+v; want %d read, nothing over the queue or too large", ab, ba, tt.n)
			}
			if ab.Delivered != uint64(len(nums)) || ab.Lost+ab.Delivered != ab.Read {
				t.Fatalf("received %d packets; counts %+v", len(nums), ab)
			}
			if s := ab.LostShare(); s < tt.lostShare[0] || s > tt.lostShare[1] {
				t.Fatalf("lost %.3f of the packets, want %.3f to %.3f", s, tt.lostShare[0], tt.lostShare[1])
			}
		})
	}
}

// TestLinkBothWays checks that each direction carries its own packets.
func TestLinkBothWays(t *testing.T) {
	aLink, aTest := packetPair(t)
	bLink, bTest := packetPair(t)
	link, err := Start(aLink, bLink, Config{Delay: 5 * time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	for i := range 10 {
		if _, err := aTest.Write(packet(uint32(i), 64)); err != nil {
			t.Fatal(err)
		}
		if _, err := bTest.Write(packet(uint32(100+i), 64)); err != nil {
			t.Fatal(err)
		}
	}
	toB, _ := receive(t, bTest, 10, time.Second)
	toA, _ := receive(t, aTest, 10, time.Second)
	if len(toB) != 10 || toB[0] != 0 || len(toA) != 10 || toA[0] != 100 {
		t.Fatalf("a→b got %v, b→a got %v", toB, toA)
	}
}

// TestLinkQueueBound checks that packets beyond the queue are dropped, not
// held: the link never holds more than Queue packets a direction.
func TestLinkQueueBound(t *testing.T) {
	aLink, aTest := packetPair(t)
	bLink, bTest := packetPair(t)
	link, err := Start(aLink, bLink, Config{Delay: time.Hour, Queue: 4}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := aTest.Write(packet(uint32(i), 64)); err != nil {
			t.Fatal(err)
		}
	}
	if ab, _ := readAll(t, link, 10, false); ab.Overflow != 6 {
		t.Fatalf("counts %+v: want 6 packets over the queue of 4", ab)
	}
	if err := link.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if nums, _ := receive(t, bTest, 1, 50*time.Millisecond); len(nums) != 0 {
		t.Fatalf("packets %v delivered before their delay", nums)
	}
}

func TestConfigCheck(t *testing.T) {
	for _, c := range []Config{{Loss: -0.1}, {Loss: 1.5}, {Delay: -time.Millisecond}, {Queue: -1}} {
		if _, err := Start(nopDevice{}, nopDevice{}, c, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("Start accepted %+v", c)
		}
	}
}

type nopDevice struct{}

func (nopDevice) Read([]byte) (int, error)    { return 0, io.EOF }
func (nopDevice) Write(p []byte) (int, error) { return len(p), nil }
func (nopDevice) Close() error                { return nil }
