package bench

import (
	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// attrWalk visits every attribute of a message, descending into the nests
// a decoder would descend into, and keeps a count and a checksum so the
// work cannot be optimised away and can be compared between runs. It is
// the least any decoder built on core.AttrScanner has to do.
type attrWalk struct {
	n   int
	sum uint64
}

// nestRule says whether attribute t, found at depth under parent, is a nest
// to walk into.
type nestRule func(depth int, parent, t uint16) bool

// routeNests: RTA_METRICS and RTA_MULTIPATH hold attributes (multipath
// holds rtnexthop structs, walked as a blob here).
func routeNests(depth int, _, t uint16) bool {
	return depth == 0 && t == unix.RTA_METRICS
}

// linkNests: IFLA_LINKINFO, IFLA_XDP, IFLA_PROP_LIST and IFLA_AF_SPEC, and
// every per-family nest inside IFLA_AF_SPEC.
func linkNests(depth int, parent, t uint16) bool {
	switch depth {
	case 0:
		return t == unix.IFLA_LINKINFO || t == unix.IFLA_XDP || t == unix.IFLA_PROP_LIST || t == unix.IFLA_AF_SPEC
	case 1:
		return parent == unix.IFLA_AF_SPEC
	}
	return false
}

func (w *attrWalk) walk(b []byte, nest nestRule, depth int, parent uint16) error {
	s := core.ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		w.n++
		w.sum += uint64(a.Type)<<16 + uint64(len(a.Data))
		if nest(depth, parent, a.Type) {
			if err := w.walk(a.Data, nest, depth+1, a.Type); err != nil {
				return err
			}
		}
	}
	return s.Err()
}

// walkMessage walks the attributes after a family header of hdrLen bytes.
func (w *attrWalk) walkMessage(data []byte, hdrLen int, nest nestRule) error {
	if len(data) < hdrLen {
		return &core.ParseError{What: "family header", Len: len(data), Want: hdrLen}
	}
	return w.walk(data[hdrLen:], nest, 0, 0)
}
