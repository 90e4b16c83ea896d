package record

import (
	"testing"
	"time"
)

// BenchmarkTap measures what the camera's reading goroutine pays per
// access unit: the copy into the ring of a preloaded camera and the queue
// of one recording (the writer runs on its own goroutine).
func BenchmarkTap(b *testing.B) {
	codec, aus := loadAUs(b, "main.ts")
	rec, err := New(Config{Dir: b.TempDir(), Cameras: []Camera{{ID: "hall", Preload: true}}, Queue: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close()
	rec.Start("i_1", []string{"hall"}, time.Time{})
	bytes := 0
	for _, au := range aus {
		for _, n := range au.nalus {
			bytes += len(n)
		}
	}
	b.SetBytes(int64(bytes / len(aus)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		au := aus[i%len(aus)]
		rec.WriteVideo("hall", codec, int64(i)*frameTicks, au.nalus, au.key)
		i++
	}
}
