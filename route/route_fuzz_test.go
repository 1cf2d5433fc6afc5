package route

import (
	"testing"

	"golang.org/x/sys/unix"
)

// routeFuzzSeeds are the kernel's captured route messages and the
// encoder's samples.
func routeFuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	for _, m := range readHexMessages(f, "route_dump.hex") {
		if m.Header.Type == unix.RTM_NEWROUTE {
			seeds = append(seeds, m.Data)
		}
	}
	for _, r := range routeTestSamples() {
		b, err := r.Marshal(nil)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// routeFuzzNested returns the payloads of the attributes of type typ in
// the seeds (RTA_METRICS, RTA_MULTIPATH, RTA_ENCAP), hop attributes
// included.
func routeFuzzNested(seeds [][]byte, typ uint16) [][]byte {
	var out [][]byte
	var walk func(b []byte)
	walk = func(b []byte) {
		for len(b) >= 4 {
			l := int(b[0]) | int(b[1])<<8
			t := (uint16(b[2]) | uint16(b[3])<<8) & 0x3fff
			if l < 4 || l > len(b) {
				return
			}
			if t == typ {
				out = append(out, b[4:l])
			}
			if t == unix.RTA_MULTIPATH {
				for p := b[4:l]; len(p) >= rtnexthopLen; {
					hl := int(p[0]) | int(p[1])<<8
					if hl < rtnexthopLen || hl > len(p) {
						break
					}
					walk(p[rtnexthopLen:hl])
					p = p[(hl+3)&^3:]
				}
			}
			b = b[min((l+3)&^3, len(b)):]
		}
	}
	for _, s := range seeds {
		if len(s) > routeHeaderLen {
			walk(s[routeHeaderLen:])
		}
	}
	return out
}

// FuzzRouteUnmarshal: decoding never panics, and what decodes marshals
// and decodes back to the same route.
func FuzzRouteUnmarshal(f *testing.F) {
	for _, s := range routeFuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Route
		if r.Unmarshal(data) != nil {
			return
		}
		_ = r.String()
		_ = r.AppendJSON(nil, nil)
		b, err := r.Marshal(nil)
		if err != nil {
			return
		}
		var back Route
		if err := back.Unmarshal(b); err != nil {
			t.Fatalf("re-decoding %v: %v", &r, err)
		}
	})
}

// FuzzRouteMultipath fuzzes the RTA_MULTIPATH decoder.
func FuzzRouteMultipath(f *testing.F) {
	for _, s := range routeFuzzNested(routeFuzzSeeds(f), unix.RTA_MULTIPATH) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hops, err := UnmarshalMultipath(data)
		if err != nil {
			return
		}
		for i := range hops {
			if hops[i].Weight < 1 || hops[i].Weight > 256 {
				t.Fatalf("weight %d", hops[i].Weight)
			}
		}
	})
}

// FuzzRouteMetrics fuzzes the RTA_METRICS decoder.
func FuzzRouteMetrics(f *testing.F) {
	for _, s := range routeFuzzNested(routeFuzzSeeds(f), unix.RTA_METRICS) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m RouteMetrics
		if m.Unmarshal(data) != nil {
			return
		}
		b, err := m.appendAttr(nil)
		if err != nil {
			return
		}
		var back RouteMetrics
		if len(b) > 0 {
			if err := back.Unmarshal(b[4:]); err != nil {
				t.Fatal(err)
			}
		}
		if m.CongestionControl == "" && back != m {
			t.Fatalf("%+v became %+v", m, back)
		}
	})
}

// FuzzRouteEncap fuzzes the MPLS encapsulation decoder.
func FuzzRouteEncap(f *testing.F) {
	for _, s := range routeFuzzNested(routeFuzzSeeds(f), unix.RTA_ENCAP) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e := Encap{Type: EncapMPLS, raw: data}
		if e.decode() != nil {
			return
		}
		for _, l := range e.Labels {
			if l > mplsLabelMax {
				t.Fatalf("label %d", l)
			}
		}
	})
}
