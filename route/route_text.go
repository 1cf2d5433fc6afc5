package route

import (
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// String prints r on one line the way `ip route` does:
//
//	198.51.100.0/24 via 192.0.2.2 dev if3 proto static metric 5
//
// Interfaces print as "if" and their index (ip's form for an index it
// cannot name): String does no lookups. AppendText takes a name resolver.
// The hops of a multipath route follow on the same line, in the syntax
// ip route add accepts ("nexthop via 192.0.2.2 dev if3 weight 2").
func (r *Route) String() string { return string(r.AppendText(nil, nil)) }

// AppendText appends r's one-line form to b. names, when not nil, turns an
// interface index into its name ("" falls back to "if" and the index).
func (r *Route) AppendText(b []byte, names func(index uint32) string) []byte {
	start := len(b)
	sp := func() {
		if len(b) > start {
			b = append(b, ' ')
		}
	}
	if r.Type != RouteTypeUnicast {
		b = append(b, r.Type.String()...)
	}
	sp()
	b = r.appendDst(b)
	if r.Src.IsValid() {
		b = append(b, " from "...)
		b = routeAppendPrefix(b, r.Src)
	}
	if r.NHID != 0 {
		b = append(b, " nhid "...)
		b = strconv.AppendUint(b, uint64(r.NHID), 10)
	}
	b = r.Encap.appendText(b)
	if r.TOS != 0 {
		b = append(b, " tos 0x"...)
		b = strconv.AppendUint(b, uint64(r.TOS), 16)
	}
	b = routeAppendGateway(b, r.Gateway, r.Via)
	if r.OIF != 0 {
		b = append(b, " dev "...)
		b = routeAppendDev(b, r.OIF, names)
	}
	if r.Table != TableMain && r.Table != TableUnspec {
		b = append(b, " table "...)
		b = append(b, TableName(r.Table)...)
	}
	if r.Protocol != ProtocolBoot && r.Flags&RouteCloned == 0 {
		b = append(b, " proto "...)
		b = append(b, r.Protocol.String()...)
	}
	if r.Scope != ScopeUniverse {
		b = append(b, " scope "...)
		b = append(b, r.Scope.String()...)
	}
	if r.PrefSrc.IsValid() {
		b = append(b, " src "...)
		b = r.PrefSrc.AppendTo(b)
	}
	if r.Priority != 0 || r.Family == FamilyInet6 {
		b = append(b, " metric "...)
		b = strconv.AppendUint(b, uint64(r.Priority), 10)
	}
	b = r.Flags.appendText(b)
	if r.Mark != 0 {
		b = append(b, " mark 0x"...)
		b = strconv.AppendUint(b, uint64(r.Mark), 16)
	}
	if r.HasUID {
		b = append(b, " uid "...)
		b = strconv.AppendUint(b, uint64(r.UID), 10)
	}
	if r.IIF != 0 {
		b = append(b, " iif "...)
		b = routeAppendDev(b, r.IIF, names)
	}
	if e := r.expires(); e > 0 {
		b = append(b, " expires "...)
		b = strconv.AppendInt(b, int64(e/time.Second), 10)
		b = append(b, "sec"...)
	}
	b = r.Metrics.appendText(b)
	for i := range r.Nexthops {
		h := &r.Nexthops[i]
		b = append(b, " nexthop"...)
		b = h.Encap.appendText(b)
		b = routeAppendGateway(b, h.Gateway, h.Via)
		if h.OIF != 0 {
			b = append(b, " dev "...)
			b = routeAppendDev(b, h.OIF, names)
		}
		b = append(b, " weight "...)
		b = strconv.AppendInt(b, int64(h.weight()), 10)
		b = h.Flags.appendText(b)
	}
	if r.Pref != RoutePrefUnset {
		b = append(b, " pref "...)
		b = append(b, r.Pref.String()...)
	}
	return b
}

// expires is RTA_EXPIRES or, failing that, the cache info's expiry.
func (r *Route) expires() time.Duration {
	if r.Expires > 0 {
		return r.Expires
	}
	if r.CacheInfo != nil {
		return r.CacheInfo.Expires
	}
	return 0
}

// appendDst appends ip's destination: "default", an address for a host
// route, or a prefix.
func (r *Route) appendDst(b []byte) []byte {
	if !r.Dst.IsValid() || (r.Dst.Bits() == 0 && r.Dst.Addr().IsUnspecified()) {
		return append(b, "default"...)
	}
	return routeAppendPrefix(b, r.Dst)
}

// routeAppendPrefix appends p, without the length when it covers one
// address (as ip prints host routes).
func routeAppendPrefix(b []byte, p netip.Prefix) []byte {
	if p.IsSingleIP() {
		return p.Addr().AppendTo(b)
	}
	return p.AppendTo(b)
}

func routeAppendGateway(b []byte, gw, via netip.Addr) []byte {
	if gw.IsValid() {
		b = append(b, " via "...)
		b = gw.AppendTo(b)
	}
	if via.IsValid() {
		b = append(b, " via "...)
		b = append(b, routeAddrFamily(via).String()...)
		b = append(b, ' ')
		b = via.AppendTo(b)
	}
	return b
}

func routeAppendDev(b []byte, index uint32, names func(uint32) string) []byte {
	if names != nil {
		if n := names(index); n != "" {
			return append(b, n...)
		}
	}
	b = append(b, "if"...)
	return strconv.AppendUint(b, uint64(index), 10)
}

// MarshalJSON prints r as `ip -j route` does (dst, gateway, dev, protocol,
// scope, prefsrc, metric, flags, table, type, metrics, nexthops, pref ...),
// with interfaces as "if" and their index; AppendJSON takes a resolver.
func (r *Route) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil, nil), nil }

// AppendJSON appends r as one JSON object to b, naming interfaces with
// names when it is not nil. Like ip, it leaves out the type when unicast,
// the table when main, the protocol when boot and the scope when global;
// it adds "family". As in ip's JSON, metric locks are not shown (String
// shows them).
func (r *Route) AppendJSON(b []byte, names func(index uint32) string) []byte {
	b = append(b, '{')
	b = routeJSONKey(b, "family", true)
	b = strconv.AppendQuote(b, r.Family.String())
	if r.Type != RouteTypeUnicast {
		b = routeJSONKey(b, "type", false)
		b = strconv.AppendQuote(b, r.Type.String())
	}
	b = routeJSONKey(b, "dst", false)
	b = append(b, '"')
	b = r.appendDst(b)
	b = append(b, '"')
	if r.Src.IsValid() {
		b = routeJSONKey(b, "from", false)
		b = append(b, '"')
		b = routeAppendPrefix(b, r.Src)
		b = append(b, '"')
	}
	if r.NHID != 0 {
		b = routeJSONUint(b, "nhid", uint64(r.NHID))
	}
	b = routeJSONEncap(b, r.Encap)
	if r.TOS != 0 {
		b = routeJSONKey(b, "tos", false)
		b = strconv.AppendQuote(b, "0x"+strconv.FormatUint(uint64(r.TOS), 16))
	}
	b = routeJSONGateway(b, r.Gateway, r.Via)
	if r.OIF != 0 {
		b = routeJSONKey(b, "dev", false)
		b = append(b, '"')
		b = routeAppendDev(b, r.OIF, names)
		b = append(b, '"')
	}
	if r.Table != TableMain && r.Table != TableUnspec {
		b = routeJSONKey(b, "table", false)
		b = strconv.AppendQuote(b, TableName(r.Table))
	}
	if r.Protocol != ProtocolBoot && r.Flags&RouteCloned == 0 {
		b = routeJSONKey(b, "protocol", false)
		b = strconv.AppendQuote(b, r.Protocol.String())
	}
	if r.Scope != ScopeUniverse {
		b = routeJSONKey(b, "scope", false)
		b = strconv.AppendQuote(b, r.Scope.String())
	}
	if r.PrefSrc.IsValid() {
		b = routeJSONKey(b, "prefsrc", false)
		b = append(b, '"')
		b = r.PrefSrc.AppendTo(b)
		b = append(b, '"')
	}
	if r.Priority != 0 || r.Family == FamilyInet6 {
		b = routeJSONUint(b, "metric", uint64(r.Priority))
	}
	b = routeJSONFlags(b, r.Flags)
	if r.Mark != 0 {
		b = routeJSONUint(b, "mark", uint64(r.Mark))
	}
	if r.HasUID {
		b = routeJSONUint(b, "uid", uint64(r.UID))
	}
	if r.IIF != 0 {
		b = routeJSONKey(b, "iif", false)
		b = append(b, '"')
		b = routeAppendDev(b, r.IIF, names)
		b = append(b, '"')
	}
	if e := r.expires(); e > 0 {
		b = routeJSONUint(b, "expires", uint64(e/time.Second))
	}
	if !r.Metrics.IsZero() {
		b = routeJSONKey(b, "metrics", false)
		b = append(b, "[{"...)
		first := true
		r.Metrics.each(func(name string, _ int, v uint32) {
			b = routeJSONKey(b, name, first)
			b = strconv.AppendUint(b, uint64(v), 10)
			first = false
		})
		if r.Metrics.CongestionControl != "" {
			b = routeJSONKey(b, "congctl", first)
			b = strconv.AppendQuote(b, r.Metrics.CongestionControl)
		}
		b = append(b, "}]"...)
	}
	if len(r.Nexthops) > 0 {
		b = routeJSONKey(b, "nexthops", false)
		b = append(b, '[')
		for i := range r.Nexthops {
			h := &r.Nexthops[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			n := len(b)
			b = routeJSONGateway(b, h.Gateway, h.Via)
			if h.OIF != 0 {
				b = routeJSONKey(b, "dev", false)
				b = append(b, '"')
				b = routeAppendDev(b, h.OIF, names)
				b = append(b, '"')
			}
			b = routeJSONUint(b, "weight", uint64(h.weight()))
			b = routeJSONFlags(b, h.Flags)
			b = routeJSONEncap(b, h.Encap)
			if len(b) > n && b[n] == ',' {
				b = slices.Delete(b, n, n+1)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if r.Pref != RoutePrefUnset {
		b = routeJSONKey(b, "pref", false)
		b = strconv.AppendQuote(b, r.Pref.String())
	}
	return append(b, '}')
}

func routeJSONKey(b []byte, k string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func routeJSONUint(b []byte, k string, v uint64) []byte {
	b = routeJSONKey(b, k, false)
	return strconv.AppendUint(b, v, 10)
}

func routeJSONFlags(b []byte, f RouteFlags) []byte {
	b = routeJSONKey(b, "flags", false)
	b = append(b, '[')
	n := 0
	for _, fl := range routeFlagNames[:11] {
		if f&fl.f != 0 {
			if n > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, fl.name)
			n++
		}
	}
	return append(b, ']')
}

func routeJSONGateway(b []byte, gw, via netip.Addr) []byte {
	if gw.IsValid() {
		b = routeJSONKey(b, "gateway", false)
		b = append(b, '"')
		b = gw.AppendTo(b)
		b = append(b, '"')
	}
	if via.IsValid() {
		b = routeJSONKey(b, "via", false)
		b = append(b, `{"family":`...)
		b = strconv.AppendQuote(b, routeAddrFamily(via).String())
		b = append(b, `,"host":"`...)
		b = via.AppendTo(b)
		b = append(b, `"}`...)
	}
	return b
}

func routeJSONEncap(b []byte, e *Encap) []byte {
	if e == nil {
		return b
	}
	b = routeJSONKey(b, "encap", false)
	b = append(b, `{"type":`...)
	b = strconv.AppendQuote(b, e.Type.String())
	if e.Type == EncapMPLS {
		b = append(b, `,"labels":[`...)
		for i, l := range e.Labels {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(l), 10)
		}
		b = append(b, ']')
		if e.TTL != 0 {
			b = routeJSONUint(b, "ttl", uint64(e.TTL))
		}
	}
	return append(b, '}')
}

// Equal reports whether r and o describe the same route. The kernel's
// volatile facts (CacheInfo, Expires) are not compared.
func (r *Route) Equal(o *Route) bool { return len(r.Diff(o)) == 0 }

// Diff names the fields of r and o that differ (CacheInfo and Expires are
// not compared).
func (r *Route) Diff(o *Route) []string {
	var d []string
	add := func(name string, differ bool) {
		if differ {
			d = append(d, name)
		}
	}
	add("Family", r.Family != o.Family)
	add("Type", r.Type != o.Type)
	add("Protocol", r.Protocol != o.Protocol)
	add("Scope", r.Scope != o.Scope)
	add("TOS", r.TOS != o.TOS)
	add("Flags", r.Flags != o.Flags)
	add("Table", r.Table != o.Table)
	add("Dst", r.Dst != o.Dst)
	add("Src", r.Src != o.Src)
	add("Gateway", r.Gateway != o.Gateway)
	add("Via", r.Via != o.Via)
	add("PrefSrc", r.PrefSrc != o.PrefSrc)
	add("IIF", r.IIF != o.IIF)
	add("OIF", r.OIF != o.OIF)
	add("Priority", r.Priority != o.Priority)
	add("Metrics", r.Metrics != o.Metrics)
	add("Nexthops", !slices.EqualFunc(r.Nexthops, o.Nexthops, func(a, b RouteNexthop) bool { return a.Equal(&b) }))
	add("NHID", r.NHID != o.NHID)
	add("Encap", !r.Encap.equal(o.Encap))
	add("Pref", r.Pref != o.Pref)
	add("Mark", r.Mark != o.Mark)
	add("UID", r.HasUID != o.HasUID || r.UID != o.UID)
	add("Flow", r.Flow != o.Flow)
	return d
}
