package route

import "unsafe"

// linkMem is where a dump's decoder takes memory from instead of making
// one small allocation per field: a byte arena for names and addresses,
// and slabs for the out-of-line parts of a Link (statistics, per-family
// data and its arrays, veth data). Memory it hands out is never written
// again by it, so the strings and slices it backs stay valid for as long
// as they are referenced; slices are capped to their length, so appending
// to one never writes over its neighbour.
type linkMem struct {
	// list is set when the values decoded are a list's (each decoded
	// once, kept by the caller), not one value reused by a LinkIter loop.
	list bool
	// zero is the "previous value" a list's decode reuses nothing from.
	zero Link
	// infos and slaves are the Info and SlaveInfo values a LinkIter loop
	// made, one per kind, for the next link of that kind to reuse.
	infos, slaves []LinkInfo

	bytes linkSlab[byte]
	strs  linkSlab[string]
	u32   linkSlab[uint32]
	s32   linkSlab[int32]
	stats linkSlab[LinkStats]
	inet  linkSlab[LinkInet]
	inet6 linkSlab[LinkInet6]
	xdp   linkSlab[LinkXDP]
	veth  linkSlab[VethInfo]
}

// linkSlab hands out values of T from chunks that double in size, from
// 1 KiB (at least 8 values) up to linkSlabMaxBytes worth of T.
type linkSlab[T any] struct {
	free []T
	next int
}

// linkSlabMaxBytes caps a slab chunk: 32 KiB, the largest of the
// runtime's small-object size classes (a larger chunk is a large object:
// fresh pages, returned to the OS when free).
const linkSlabMaxBytes = 32 << 10

// take returns a zeroed slice of n values, capped to n.
func (s *linkSlab[T]) take(n int) []T {
	if n > len(s.free) {
		var zero T
		size := max(int(unsafe.Sizeof(zero)), 1)
		if s.next == 0 {
			s.next = max(8, 1024/size)
		}
		c := max(n, s.next)
		s.free = make([]T, c)
		if 2*s.next*size <= linkSlabMaxBytes {
			s.next *= 2
		}
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}

// one returns a pointer to one zeroed value.
func (s *linkSlab[T]) one() *T { return &s.take(1)[0] }

// linkMemString returns b as a string: prev when it holds the same bytes,
// else a copy in m's arena, else (m nil) a new string.
func linkMemString(m *linkMem, prev string, b []byte) string {
	if prev == string(b) {
		return prev
	}
	if m == nil || len(b) == 0 {
		return string(b)
	}
	out := m.bytes.take(len(b))
	copy(out, b)
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// info returns a value for kind from m: in a LinkIter loop one made for
// an earlier link of the kind, else (built-in kinds only) a veth value
// from the slab; nil when m has none.
func (m *linkMem) info(kind []byte, k *Kinds, slave bool) LinkInfo {
	if !m.list {
		list := m.infos
		if slave {
			list = m.slaves
		}
		for _, v := range list {
			if v.Kind() == string(kind) {
				return v
			}
		}
	}
	if k == nil && !slave && string(kind) == "veth" {
		return m.veth.one()
	}
	return nil
}

// linkMemMaxInfos bounds the values a LinkIter loop keeps for reuse.
const linkMemMaxInfos = 32

// keepInfo remembers v, made for kind, for the next links of its kind in
// a LinkIter loop.
func (m *linkMem) keepInfo(v LinkInfo, kind []byte, slave bool) {
	if v.Kind() != string(kind) || len(m.infos)+len(m.slaves) >= linkMemMaxInfos {
		return
	}
	if slave {
		m.slaves = append(m.slaves, v)
	} else {
		m.infos = append(m.infos, v)
	}
}

// linkListChunk is how many Links a list decodes into one chunk: a chunk
// stays under 32 KiB, a small object for the runtime.
const linkListChunk = 64

// linkList builds the []Link of a dump: the values are decoded into
// chunks of linkListChunk, then copied once into a slice of the exact
// length (growing one slice by doubling would copy them as often, and
// leave up to half its capacity unused).
type linkList struct {
	mem    linkMem
	chunks [][]Link
	cur    []Link
	n      int
}

// reset empties the list for a new attempt.
func (ll *linkList) reset() { *ll = linkList{mem: linkMem{list: true}} }

// next returns a zero Link at the end of the list.
func (ll *linkList) next() *Link {
	if len(ll.cur) == cap(ll.cur) {
		if ll.cur != nil {
			ll.chunks = append(ll.chunks, ll.cur)
		}
		ll.cur = make([]Link, 0, linkListChunk)
	}
	ll.cur = ll.cur[:len(ll.cur)+1]
	ll.n++
	return &ll.cur[len(ll.cur)-1]
}

// links returns the values decoded, nil for none.
func (ll *linkList) links() []Link {
	if len(ll.chunks) == 0 {
		if len(ll.cur) == 0 {
			return nil
		}
		return ll.cur
	}
	out := make([]Link, 0, ll.n)
	for _, c := range ll.chunks {
		out = append(out, c...)
	}
	return append(out, ll.cur...)
}
