package route

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"
)

// Encap is a lightweight-tunnel encapsulation of a route or a next hop
// (RTA_ENCAP_TYPE and the RTA_ENCAP nest). MPLS is decoded into Labels and
// TTL; every other type keeps its RTA_ENCAP payload in Raw, so it
// round-trips unchanged.
type Encap struct {
	// Type is the encapsulation type.
	Type EncapType
	// Labels is the MPLS label stack to push, outermost first
	// (MPLS_IPTUNNEL_DST; label values only, 20 bits each).
	Labels []uint32
	// TTL is the MPLS TTL to set (MPLS_IPTUNNEL_TTL), 0 for none.
	TTL uint8
	// Raw is the RTA_ENCAP payload of a type other than MPLS.
	Raw []byte

	raw []byte // RTA_ENCAP as read, until decode (aliases the message)
}

// mplsLabelMax is the largest MPLS label (20 bits).
const mplsLabelMax = 1<<20 - 1

// decode turns the aliased RTA_ENCAP payload into Labels or Raw.
func (e *Encap) decode() error {
	raw := e.raw
	e.raw = nil
	if e.Type != EncapMPLS {
		if raw != nil {
			e.Raw = slices.Clone(raw)
		}
		return nil
	}
	labels, ttl, err := routeDecodeMPLSEncap(raw)
	if err != nil {
		return fmt.Errorf("route: MPLS encap: %w", err)
	}
	e.Labels, e.TTL = labels, ttl
	return nil
}

// routeDecodeMPLSEncap reads the MPLS_IPTUNNEL_* attributes.
func routeDecodeMPLSEncap(b []byte) ([]uint32, uint8, error) {
	var labels []uint32
	var ttl uint8
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, 0, fmt.Errorf("attribute header of %d bytes", len(b))
		}
		l := int(binary.NativeEndian.Uint16(b))
		t := binary.NativeEndian.Uint16(b[2:]) & 0x3fff
		if l < 4 || l > len(b) {
			return nil, 0, fmt.Errorf("attribute %d of length %d, %d bytes left", t, l, len(b))
		}
		p := b[4:l]
		switch t {
		case unix.MPLS_IPTUNNEL_DST:
			if len(p)%4 != 0 || len(p) == 0 {
				return nil, 0, fmt.Errorf("label stack of %d bytes", len(p))
			}
			labels = make([]uint32, 0, len(p)/4)
			for i := 0; i < len(p); i += 4 {
				labels = append(labels, binary.BigEndian.Uint32(p[i:])>>12)
			}
		case unix.MPLS_IPTUNNEL_TTL:
			if len(p) != 1 {
				return nil, 0, fmt.Errorf("TTL of %d bytes", len(p))
			}
			ttl = p[0]
		}
		a := (l + 3) &^ 3
		if a > len(b) {
			a = len(b)
		}
		b = b[a:]
	}
	return labels, ttl, nil
}

// appendAttrs appends RTA_ENCAP and RTA_ENCAP_TYPE; a nil Encap appends
// nothing.
func (e *Encap) appendAttrs(b []byte) ([]byte, error) {
	if e == nil {
		return b, nil
	}
	b, at := routeNestStart(b, unix.RTA_ENCAP|0x8000) // NLA_F_NESTED, as ip(8) sends it
	if e.Type == EncapMPLS {
		if len(e.Labels) == 0 {
			return b[:at], fmt.Errorf("route: MPLS encap without labels")
		}
		b = binary.NativeEndian.AppendUint16(b, uint16(4+4*len(e.Labels)))
		b = binary.NativeEndian.AppendUint16(b, unix.MPLS_IPTUNNEL_DST)
		for i, l := range e.Labels {
			if l > mplsLabelMax {
				return b[:at], fmt.Errorf("route: MPLS label %d out of range", l)
			}
			v := l << 12
			if i == len(e.Labels)-1 {
				v |= 1 << 8 // bottom of stack
			}
			b = binary.BigEndian.AppendUint32(b, v)
		}
		if e.TTL != 0 {
			b = append(b, 5, 0, unix.MPLS_IPTUNNEL_TTL, 0, e.TTL, 0, 0, 0)
		}
	} else {
		b = append(b, e.Raw...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	b, err := routeNestEnd(b, at, "RTA_ENCAP")
	if err != nil {
		return b, err
	}
	b = append(b, 6, 0, unix.RTA_ENCAP_TYPE, 0)
	b = binary.NativeEndian.AppendUint16(b, uint16(e.Type))
	return append(b, 0, 0), nil
}

// appendText appends ip(8)'s form: "encap mpls 100/200 ttl 5".
func (e *Encap) appendText(b []byte) []byte {
	if e == nil {
		return b
	}
	b = append(b, " encap "...)
	b = append(b, e.Type.String()...)
	if e.Type == EncapMPLS {
		b = append(b, ' ')
		for i, l := range e.Labels {
			if i > 0 {
				b = append(b, '/')
			}
			b = strconv.AppendUint(b, uint64(l), 10)
		}
		if e.TTL != 0 {
			b = append(b, " ttl "...)
			b = strconv.AppendUint(b, uint64(e.TTL), 10)
		}
	}
	return b
}

// equal compares two encapsulations (nil equals nil only).
func (e *Encap) equal(o *Encap) bool {
	if e == nil || o == nil {
		return e == o
	}
	return e.Type == o.Type && e.TTL == o.TTL && slices.Equal(e.Labels, o.Labels) && slices.Equal(e.Raw, o.Raw)
}
