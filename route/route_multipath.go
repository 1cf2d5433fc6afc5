package route

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// RouteNexthop is one hop of a multipath route (struct rtnexthop in
// RTA_MULTIPATH, and its attributes).
type RouteNexthop struct {
	// Flags are the hop's RTNH_F_* flags (onlink, dead, linkdown, ...).
	Flags RouteFlags
	// Weight is the hop's weight, 1 to 256 (rtnh_hops + 1; 0 is taken
	// as 1 when marshalling).
	Weight int
	// OIF is the output interface index (rtnh_ifindex).
	OIF uint32
	// Gateway is the hop's gateway of the route's family (RTA_GATEWAY).
	Gateway netip.Addr
	// Via is a gateway of another family (RTA_VIA).
	Via netip.Addr
	// Encap is the hop's encapsulation, nil when none.
	Encap *Encap
	// Flow is the hop's routing realms (RTA_FLOW).
	Flow uint32
}

// rtnexthopLen is the size of struct rtnexthop.
const rtnexthopLen = 8

// Equal reports whether two hops are the same.
func (h *RouteNexthop) Equal(o *RouteNexthop) bool {
	return h.Flags == o.Flags && h.weight() == o.weight() && h.OIF == o.OIF &&
		h.Gateway == o.Gateway && h.Via == o.Via && h.Flow == o.Flow && h.Encap.equal(o.Encap)
}

func (h *RouteNexthop) weight() int {
	if h.Weight == 0 {
		return 1
	}
	return h.Weight
}

// UnmarshalMultipath decodes the payload of RTA_MULTIPATH (an array of
// struct rtnexthop, each followed by its attributes).
func UnmarshalMultipath(b []byte) ([]RouteNexthop, error) {
	return routeDecodeMultipath(nil, b)
}

// routeDecodeMultipath appends the hops of an RTA_MULTIPATH payload to hops.
func routeDecodeMultipath(hops []RouteNexthop, b []byte) ([]RouteNexthop, error) {
	for len(b) > 0 {
		if len(b) < rtnexthopLen {
			return hops, fmt.Errorf("RTA_MULTIPATH: %d bytes left, want a %d-byte rtnexthop", len(b), rtnexthopLen)
		}
		l := int(binary.NativeEndian.Uint16(b))
		if l < rtnexthopLen || l > len(b) {
			return hops, fmt.Errorf("RTA_MULTIPATH: rtnexthop of length %d, %d bytes left", l, len(b))
		}
		h := RouteNexthop{
			Flags:  RouteFlags(b[2]),
			Weight: int(b[3]) + 1,
			OIF:    binary.NativeEndian.Uint32(b[4:]),
		}
		if err := h.unmarshalAttrs(b[rtnexthopLen:l]); err != nil {
			return hops, err
		}
		hops = append(hops, h)
		a := (l + 3) &^ 3
		if a > len(b) {
			a = len(b)
		}
		b = b[a:]
	}
	return hops, nil
}

func (h *RouteNexthop) unmarshalAttrs(b []byte) error {
	var raw []byte
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("RTA_MULTIPATH: attribute header of %d bytes", len(b))
		}
		l := int(binary.NativeEndian.Uint16(b))
		t := binary.NativeEndian.Uint16(b[2:]) & 0x3fff
		if l < 4 || l > len(b) {
			return fmt.Errorf("RTA_MULTIPATH: attribute %d of length %d, %d bytes left", t, l, len(b))
		}
		p := b[4:l]
		switch t {
		case unix.RTA_GATEWAY:
			switch len(p) {
			case 4:
				h.Gateway = netip.AddrFrom4([4]byte(p))
			case 16:
				h.Gateway = netip.AddrFrom16([16]byte(p))
			default:
				return fmt.Errorf("RTA_MULTIPATH: gateway of %d bytes", len(p))
			}
		case unix.RTA_VIA:
			v, err := routeDecodeVia(p)
			if err != nil {
				return fmt.Errorf("RTA_MULTIPATH: %w", err)
			}
			h.Via = v
		case unix.RTA_FLOW:
			if len(p) != 4 {
				return fmt.Errorf("RTA_MULTIPATH: RTA_FLOW of %d bytes", len(p))
			}
			h.Flow = binary.NativeEndian.Uint32(p)
		case unix.RTA_ENCAP_TYPE:
			if len(p) != 2 {
				return fmt.Errorf("RTA_MULTIPATH: RTA_ENCAP_TYPE of %d bytes", len(p))
			}
			if h.Encap == nil {
				h.Encap = &Encap{}
			}
			h.Encap.Type = EncapType(binary.NativeEndian.Uint16(p))
		case unix.RTA_ENCAP:
			raw = p
			if h.Encap == nil {
				h.Encap = &Encap{}
			}
		}
		a := (l + 3) &^ 3
		if a > len(b) {
			a = len(b)
		}
		b = b[a:]
	}
	if h.Encap != nil {
		h.Encap.raw = raw
		if err := h.Encap.decode(); err != nil {
			return err
		}
	}
	return nil
}

// routeAppendMultipath appends the RTA_MULTIPATH attribute for hops.
func routeAppendMultipath(b []byte, fam Family, hops []RouteNexthop) ([]byte, error) {
	b, at := routeNestStart(b, unix.RTA_MULTIPATH)
	for i := range hops {
		h := &hops[i]
		w := h.weight()
		if w < 1 || w > 256 {
			return b[:at], errRouteWeight
		}
		if h.Gateway.IsValid() && (fam == FamilyInet || fam == FamilyInet6) && routeAddrFamily(h.Gateway) != fam {
			return b[:at], errRouteFamily
		}
		hs := len(b)
		b = append(b, 0, 0, byte(h.Flags), byte(w-1))
		b = binary.NativeEndian.AppendUint32(b, h.OIF)
		if h.Gateway.IsValid() {
			b = routeAttrAddr(b, unix.RTA_GATEWAY, h.Gateway)
		}
		if h.Via.IsValid() {
			b = routeAttrVia(b, h.Via)
		}
		if h.Flow != 0 {
			b = routeAttrU32(b, unix.RTA_FLOW, h.Flow)
		}
		var err error
		if b, err = h.Encap.appendAttrs(b); err != nil {
			return b[:at], err
		}
		if len(b)-hs > 0xffff {
			return b[:at], fmt.Errorf("route: next hop longer than 65535 bytes")
		}
		binary.NativeEndian.PutUint16(b[hs:], uint16(len(b)-hs))
	}
	return routeNestEnd(b, at, "RTA_MULTIPATH")
}
