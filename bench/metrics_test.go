package bench

import (
	"runtime"
	"slices"
	"sync"
	"testing"
)

// floors keeps, per group of benchmarks, the time per op of each run of the
// group's floor (the raw loop with a 32 KiB buffer), so the others can
// report their ratio to it. The floor runs first in its group.
var floors struct {
	mu sync.Mutex
	ns map[string][]float64
}

func recordFloor(group string, nsPerOp float64) {
	floors.mu.Lock()
	defer floors.mu.Unlock()
	if floors.ns == nil {
		floors.ns = make(map[string][]float64)
	}
	floors.ns[group] = append(floors.ns[group], nsPerOp)
}

// floorMedian is the median floor time of group so far (0: none yet).
func floorMedian(group string) float64 {
	floors.mu.Lock()
	defer floors.mu.Unlock()
	v := slices.Clone(floors.ns[group])
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// meter measures what testing.B does not: time and allocations per
// netlink message, and the ratio to the group's floor. Make it right
// before the b.Loop loop and call done right after.
type meter struct {
	b     *testing.B
	group string
	floor bool
	msgs  int
	m0    runtime.MemStats
}

func newMeter(b *testing.B, group string, floor bool) *meter {
	m := &meter{b: b, group: group, floor: floor}
	runtime.ReadMemStats(&m.m0)
	return m
}

// add counts n messages handled by one op.
func (m *meter) add(n int) { m.msgs += n }

// done reports ns/msg and allocs/msg (when messages were counted) and
// x-floor, the time per op over the median floor time of the group.
func (m *meter) done() {
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	b := m.b
	if b.N == 0 {
		return
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	if m.msgs > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(m.msgs), "ns/msg")
		b.ReportMetric(float64(m1.Mallocs-m.m0.Mallocs)/float64(m.msgs), "allocs/msg")
	}
	if m.floor {
		recordFloor(m.group, nsPerOp)
	}
	if f := floorMedian(m.group); f > 0 {
		b.ReportMetric(nsPerOp/f, "x-floor")
	}
}
