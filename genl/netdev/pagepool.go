package netdev

import (
	"fmt"
	"strings"

	"github.com/nlkit/nlkit/core"
)

// PagePool is what page-pool-get says of one page pool (a driver's
// recycling allocator of receive buffers).
type PagePool struct {
	// ID identifies the pool.
	ID uint64 `json:"id"`
	// Ifindex is the device; 0 once the device is gone while pages are
	// still out.
	Ifindex uint32 `json:"ifindex,omitempty"`
	// NAPIID is the NAPI instance using the pool.
	NAPIID uint32 `json:"napi-id,omitempty"`
	// Inflight counts the pages allocated and not yet returned, and
	// InflightMem the bytes they hold.
	Inflight    uint64 `json:"inflight"`
	InflightMem uint64 `json:"inflight-mem"`
	// DetachTime is when the driver let go of the pool (seconds of
	// CLOCK_BOOTTIME), 0 while it is in use.
	DetachTime uint64 `json:"detach-time,omitempty"`
	// DMABuf is the dmabuf the pool is bound to (devmem TCP), if any.
	DMABuf uint32 `json:"dmabuf,omitempty"`
	// IOURing is whether it is an io_uring memory provider's pool.
	IOURing bool `json:"io-uring,omitempty"`
}

// Unmarshal decodes a page-pool-get reply or page-pool-*-ntf payload:
// genlmsghdr, then attributes.
func (p *PagePool) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return p.unmarshalAttrs(a)
}

func (p *PagePool) unmarshalAttrs(data []byte) error {
	*p = PagePool{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case attrPagePoolID:
			p.ID = s.Uint()
		case attrPagePoolIfindex:
			p.Ifindex = s.Uint32()
		case attrPagePoolNAPIID:
			p.NAPIID = s.Uint32()
		case attrPagePoolInflight:
			p.Inflight = s.Uint()
		case attrPagePoolInflightMem:
			p.InflightMem = s.Uint()
		case attrPagePoolDetachTime:
			p.DetachTime = s.Uint()
		case attrPagePoolDMABuf:
			p.DMABuf = s.Uint32()
		case attrPagePoolIOURing:
			p.IOURing = true
		}
	}
	return s.Err()
}

// Marshal appends a page-pool-get request for p.ID: pools are read-only.
func (p *PagePool) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, CmdPagePoolGet))
	e.Uint(attrPagePoolID, p.ID)
	return e.Bytes(), nil
}

// Equal reports whether p and o are the same.
func (p *PagePool) Equal(o *PagePool) bool { return *p == *o }

// Diff names the fields that differ.
func (p *PagePool) Diff(o *PagePool) []string {
	var d diffs
	d.add("id", p.ID != o.ID)
	d.add("ifindex", p.Ifindex != o.Ifindex)
	d.add("napi-id", p.NAPIID != o.NAPIID)
	d.add("inflight", p.Inflight != o.Inflight)
	d.add("inflight-mem", p.InflightMem != o.InflightMem)
	d.add("detach-time", p.DetachTime != o.DetachTime)
	d.add("dmabuf", p.DMABuf != o.DMABuf)
	d.add("io-uring", p.IOURing != o.IOURing)
	return d
}

// String prints one line: "page-pool 3 ifindex 2 napi 8193 inflight 64
// (262144 bytes)".
func (p *PagePool) String() string {
	var s strings.Builder
	fmt.Fprintf(&s, "page-pool %d", p.ID)
	if p.Ifindex != 0 {
		fmt.Fprintf(&s, " ifindex %d", p.Ifindex)
	}
	if p.NAPIID != 0 {
		fmt.Fprintf(&s, " napi %d", p.NAPIID)
	}
	fmt.Fprintf(&s, " inflight %d (%d bytes)", p.Inflight, p.InflightMem)
	if p.DetachTime != 0 {
		fmt.Fprintf(&s, " detached at %ds", p.DetachTime)
	}
	if p.DMABuf != 0 {
		fmt.Fprintf(&s, " dmabuf %d", p.DMABuf)
	}
	if p.IOURing {
		s.WriteString(" io-uring")
	}
	return s.String()
}

// PagePoolStats is what page-pool-stats-get says of one pool: how its
// allocations and recycling went. Kernels built without
// CONFIG_PAGE_POOL_STATS do not have the command.
type PagePoolStats struct {
	// ID and Ifindex identify the pool.
	ID      uint64 `json:"id"`
	Ifindex uint32 `json:"ifindex,omitempty"`
	// Allocation counters: from the cache (fast), from the page
	// allocator (slow, and slow of order > 0), empty ring, refills, and
	// pages given up.
	AllocFast          uint64 `json:"alloc-fast"`
	AllocSlow          uint64 `json:"alloc-slow"`
	AllocSlowHighOrder uint64 `json:"alloc-slow-high-order"`
	AllocEmpty         uint64 `json:"alloc-empty"`
	AllocRefill        uint64 `json:"alloc-refill"`
	AllocWaive         uint64 `json:"alloc-waive"`
	// Recycling counters: to the cache, cache full, to the ring, ring
	// full, and released by refcount.
	RecycleCached         uint64 `json:"recycle-cached"`
	RecycleCacheFull      uint64 `json:"recycle-cache-full"`
	RecycleRing           uint64 `json:"recycle-ring"`
	RecycleRingFull       uint64 `json:"recycle-ring-full"`
	RecycleReleasedRefcnt uint64 `json:"recycle-released-refcnt"`
}

// Unmarshal decodes a page-pool-stats-get reply payload: genlmsghdr,
// then attributes.
func (p *PagePoolStats) Unmarshal(data []byte) error {
	a, err := skipGenl(data)
	if err != nil {
		return err
	}
	return p.unmarshalAttrs(a)
}

func (p *PagePoolStats) unmarshalAttrs(data []byte) error {
	*p = PagePoolStats{}
	s := core.ScanAttrs(data)
	for s.Next() {
		switch s.Type() {
		case attrPPStatsInfo:
			var pp PagePool
			s.Fail(pp.unmarshalAttrs(s.Bytes()))
			p.ID, p.Ifindex = pp.ID, pp.Ifindex
		case attrPPStatsAllocFast:
			p.AllocFast = s.Uint()
		case attrPPStatsAllocSlow:
			p.AllocSlow = s.Uint()
		case attrPPStatsAllocSlowHighOrder:
			p.AllocSlowHighOrder = s.Uint()
		case attrPPStatsAllocEmpty:
			p.AllocEmpty = s.Uint()
		case attrPPStatsAllocRefill:
			p.AllocRefill = s.Uint()
		case attrPPStatsAllocWaive:
			p.AllocWaive = s.Uint()
		case attrPPStatsRecycleCached:
			p.RecycleCached = s.Uint()
		case attrPPStatsRecycleCacheFull:
			p.RecycleCacheFull = s.Uint()
		case attrPPStatsRecycleRing:
			p.RecycleRing = s.Uint()
		case attrPPStatsRecycleRingFull:
			p.RecycleRingFull = s.Uint()
		case attrPPStatsRecycleReleasedRefcnt:
			p.RecycleReleasedRefcnt = s.Uint()
		}
	}
	return s.Err()
}

// Marshal appends a page-pool-stats-get request for pool p.ID.
func (p *PagePoolStats) Marshal(b []byte) ([]byte, error) {
	var e core.AttrEncoder
	e.Raw(genlHeader(b, CmdPagePoolStatsGet))
	if err := pagePoolStatsRequest(&e, p.ID, p.Ifindex); err != nil {
		return b, err
	}
	return e.Bytes(), nil
}

// pagePoolStatsRequest names a pool (by ID) or a device's pools (by
// ifindex, in a dump) in the info nest.
func pagePoolStatsRequest(e *core.AttrEncoder, id uint64, ifindex uint32) error {
	n := e.NestStart(attrPPStatsInfo | core.AttrNested)
	if id != 0 {
		e.Uint(attrPagePoolID, id)
	}
	if ifindex != 0 {
		e.Uint32(attrPagePoolIfindex, ifindex)
	}
	return e.NestEnd(n)
}

// Equal reports whether p and o are the same.
func (p *PagePoolStats) Equal(o *PagePoolStats) bool { return *p == *o }

// Diff names the fields that differ (by their JSON names).
func (p *PagePoolStats) Diff(o *PagePoolStats) []string {
	var d diffs
	d.add("id", p.ID != o.ID)
	d.add("ifindex", p.Ifindex != o.Ifindex)
	d.add("alloc-fast", p.AllocFast != o.AllocFast)
	d.add("alloc-slow", p.AllocSlow != o.AllocSlow)
	d.add("alloc-slow-high-order", p.AllocSlowHighOrder != o.AllocSlowHighOrder)
	d.add("alloc-empty", p.AllocEmpty != o.AllocEmpty)
	d.add("alloc-refill", p.AllocRefill != o.AllocRefill)
	d.add("alloc-waive", p.AllocWaive != o.AllocWaive)
	d.add("recycle-cached", p.RecycleCached != o.RecycleCached)
	d.add("recycle-cache-full", p.RecycleCacheFull != o.RecycleCacheFull)
	d.add("recycle-ring", p.RecycleRing != o.RecycleRing)
	d.add("recycle-ring-full", p.RecycleRingFull != o.RecycleRingFull)
	d.add("recycle-released-refcnt", p.RecycleReleasedRefcnt != o.RecycleReleasedRefcnt)
	return d
}

// String prints one line with the pool and its main counters.
func (p *PagePoolStats) String() string {
	return fmt.Sprintf("page-pool %d ifindex %d alloc fast %d slow %d empty %d refill %d recycle cached %d ring %d ring-full %d released %d",
		p.ID, p.Ifindex, p.AllocFast, p.AllocSlow, p.AllocEmpty, p.AllocRefill,
		p.RecycleCached, p.RecycleRing, p.RecycleRingFull, p.RecycleReleasedRefcnt)
}
