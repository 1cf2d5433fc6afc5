package route

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// RouteMetrics are a route's RTAX_* metrics (RTA_METRICS). Values are as
// the kernel keeps them; 0 means not set (the kernel reports only the set
// ones). RTT, RTTVar and RTOMin are in the kernel's units (RTT is
// milliseconds times 8, RTTVar milliseconds times 4, RTOMin milliseconds).
type RouteMetrics struct {
	// Lock is RTAX_LOCK: bit 1<<RTAX_x locks metric x against changes by
	// the kernel (ip's "lock").
	Lock       uint32
	MTU        uint32
	Window     uint32
	RTT        uint32
	RTTVar     uint32
	SSThresh   uint32
	CWnd       uint32
	AdvMSS     uint32
	Reordering uint32
	HopLimit   uint32
	InitCWnd   uint32
	// Features is RTAX_FEATURES (RTAX_FEATURE_ECN, ...).
	Features uint32
	RTOMin   uint32
	InitRWnd uint32
	QuickAck uint32
	// CongestionControl is RTAX_CC_ALGO, a TCP congestion control name.
	CongestionControl string
	// FastOpenNoCookie is RTAX_FASTOPEN_NO_COOKIE.
	FastOpenNoCookie uint32
}

// routeMetricNames are ip(8)'s names of the RTAX_* attributes, by number.
var routeMetricNames = [...]string{
	unix.RTAX_LOCK: "lock", unix.RTAX_MTU: "mtu", unix.RTAX_WINDOW: "window",
	unix.RTAX_RTT: "rtt", unix.RTAX_RTTVAR: "rttvar", unix.RTAX_SSTHRESH: "ssthresh",
	unix.RTAX_CWND: "cwnd", unix.RTAX_ADVMSS: "advmss", unix.RTAX_REORDERING: "reordering",
	unix.RTAX_HOPLIMIT: "hoplimit", unix.RTAX_INITCWND: "initcwnd", unix.RTAX_FEATURES: "features",
	unix.RTAX_RTO_MIN: "rto_min", unix.RTAX_INITRWND: "initrwnd", unix.RTAX_QUICKACK: "quickack",
	unix.RTAX_CC_ALGO: "congctl", unix.RTAX_FASTOPEN_NO_COOKIE: "fastopen_no_cookie",
}

// field returns the u32 metric numbered t, or nil for lock, the
// congestion-control name and unknown numbers.
func (m *RouteMetrics) field(t int) *uint32 {
	switch t {
	case unix.RTAX_LOCK:
		return &m.Lock
	case unix.RTAX_MTU:
		return &m.MTU
	case unix.RTAX_WINDOW:
		return &m.Window
	case unix.RTAX_RTT:
		return &m.RTT
	case unix.RTAX_RTTVAR:
		return &m.RTTVar
	case unix.RTAX_SSTHRESH:
		return &m.SSThresh
	case unix.RTAX_CWND:
		return &m.CWnd
	case unix.RTAX_ADVMSS:
		return &m.AdvMSS
	case unix.RTAX_REORDERING:
		return &m.Reordering
	case unix.RTAX_HOPLIMIT:
		return &m.HopLimit
	case unix.RTAX_INITCWND:
		return &m.InitCWnd
	case unix.RTAX_FEATURES:
		return &m.Features
	case unix.RTAX_RTO_MIN:
		return &m.RTOMin
	case unix.RTAX_INITRWND:
		return &m.InitRWnd
	case unix.RTAX_QUICKACK:
		return &m.QuickAck
	case unix.RTAX_FASTOPEN_NO_COOKIE:
		return &m.FastOpenNoCookie
	}
	return nil
}

// IsZero reports whether no metric is set.
func (m *RouteMetrics) IsZero() bool { return *m == RouteMetrics{} }

// Unmarshal decodes the payload of RTA_METRICS (the nested RTAX_*
// attributes) into m, replacing what it held.
func (m *RouteMetrics) Unmarshal(b []byte) error {
	*m = RouteMetrics{}
	return m.unmarshal(b)
}

func (m *RouteMetrics) unmarshal(b []byte) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("RTA_METRICS: attribute header of %d bytes", len(b))
		}
		l := int(binary.NativeEndian.Uint16(b))
		t := int(binary.NativeEndian.Uint16(b[2:]) & 0x3fff)
		if l < 4 || l > len(b) {
			return fmt.Errorf("RTA_METRICS: attribute %d of length %d, %d bytes left", t, l, len(b))
		}
		p := b[4:l]
		if t == unix.RTAX_CC_ALGO {
			n := len(p)
			for i, c := range p {
				if c == 0 {
					n = i
					break
				}
			}
			m.CongestionControl = string(p[:n])
		} else if f := m.field(t); f != nil {
			if len(p) != 4 {
				return fmt.Errorf("RTA_METRICS: %s of %d bytes, want 4", routeMetricNames[t], len(p))
			}
			*f = binary.NativeEndian.Uint32(p)
		}
		a := (l + 3) &^ 3
		if a > len(b) {
			a = len(b)
		}
		b = b[a:]
	}
	return nil
}

// appendAttr appends the RTA_METRICS nest, or nothing when no metric is
// set.
func (m *RouteMetrics) appendAttr(b []byte) ([]byte, error) {
	if m.IsZero() {
		return b, nil
	}
	b, at := routeNestStart(b, unix.RTA_METRICS)
	for t := unix.RTAX_LOCK; t <= unix.RTAX_FASTOPEN_NO_COOKIE; t++ {
		if t == unix.RTAX_CC_ALGO {
			if s := m.CongestionControl; s != "" {
				b = binary.NativeEndian.AppendUint16(b, uint16(4+len(s)+1))
				b = binary.NativeEndian.AppendUint16(b, unix.RTAX_CC_ALGO)
				b = append(b, s...)
				b = append(b, 0)
				for len(b)%4 != 0 {
					b = append(b, 0)
				}
			}
			continue
		}
		if f := m.field(t); f != nil && *f != 0 {
			b = routeAttrU32(b, uint16(t), *f)
		}
	}
	return routeNestEnd(b, at, "RTA_METRICS")
}

// each calls fn with the name and value of every metric set but lock and
// the congestion-control name, in RTAX order.
func (m *RouteMetrics) each(fn func(name string, t int, v uint32)) {
	for t := unix.RTAX_MTU; t <= unix.RTAX_FASTOPEN_NO_COOKIE; t++ {
		if f := m.field(t); f != nil && *f != 0 {
			fn(routeMetricNames[t], t, *f)
		}
	}
}

// appendText appends ip(8)'s form: " mtu lock 1400 initcwnd 10".
func (m *RouteMetrics) appendText(b []byte) []byte {
	if m.IsZero() {
		return b
	}
	m.each(func(name string, t int, v uint32) {
		b = append(b, ' ')
		b = append(b, name...)
		if m.Lock&(1<<t) != 0 {
			b = append(b, " lock"...)
		}
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(v), 10)
	})
	if m.CongestionControl != "" {
		b = append(b, " congctl "...)
		if m.Lock&(1<<unix.RTAX_CC_ALGO) != 0 {
			b = append(b, "lock "...)
		}
		b = append(b, m.CongestionControl...)
	}
	return b
}

// ParseRouteMetric reads an ip(8) metric name ("mtu", "initcwnd", ...)
// and returns its RTAX_* number.
func ParseRouteMetric(name string) (int, error) {
	for t, n := range routeMetricNames {
		if n == name && t != unix.RTAX_LOCK {
			return t, nil
		}
	}
	return 0, fmt.Errorf("route: unknown metric %q", name)
}

// Set sets the metric numbered t (RTAX_*, not RTAX_CC_ALGO) to v.
func (m *RouteMetrics) Set(t int, v uint32) error {
	f := m.field(t)
	if f == nil || t == unix.RTAX_LOCK {
		return fmt.Errorf("route: metric %d is not a number", t)
	}
	*f = v
	return nil
}
