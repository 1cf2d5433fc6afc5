package route

import (
	"encoding/binary"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// RouteFilter selects the routes Routes, RouteIter and RouteFlush return.
// The zero value (or a nil *RouteFilter) selects every route of every
// family in every table.
//
// Family, Table, Protocol, Type, OIF and Cloned go to the kernel in the
// dump request, which filters on them itself when the socket checks
// strictly (the default; core.Config.NoStrict turns it off): only the
// matching routes cross into user space. The kernel cannot filter on
// scope, destination or gateway (a strict route dump refuses them), so
// Scope, Dst and Gateway are matched here, as is everything again, so the
// result is the same with NoStrict.
type RouteFilter struct {
	// Family is the address family (inet, inet6); unspec is all.
	Family Family
	// Table is the table ID; 0 (TableUnspec, "all") is every table.
	Table uint32
	// Protocol selects routes installed by this protocol; 0 is any.
	Protocol Protocol
	// Type selects routes of this type; 0 (unspec) is any.
	Type RouteType
	// OIF selects routes out of this interface index (for a multipath
	// route: any hop); 0 is any.
	OIF uint32
	// Cloned dumps the exception cache (RTM_F_CLONED: PMTU and redirect
	// exceptions) instead of the routes.
	Cloned bool

	// Scope, when not nil, selects routes of that scope (matched here).
	Scope *Scope
	// Dst, when valid, selects the route to exactly this prefix
	// (matched here).
	Dst netip.Prefix
	// Gateway, when valid, selects routes via this gateway, or with a
	// hop via it (matched here).
	Gateway netip.Addr
}

// request is the RTM_GETROUTE dump request carrying the kernel-side part
// of f.
func (f *RouteFilter) request() core.Message {
	b := make([]byte, routeHeaderLen, routeHeaderLen+16)
	if f != nil {
		b[0] = uint8(f.Family)
		if f.Table < 256 {
			b[4] = uint8(f.Table)
		}
		b[5] = uint8(f.Protocol)
		b[7] = uint8(f.Type)
		if f.Cloned {
			binary.NativeEndian.PutUint32(b[8:], unix.RTM_F_CLONED)
		}
		if f.Table >= 256 {
			b = routeAttrU32(b, unix.RTA_TABLE, f.Table)
		}
		if f.OIF != 0 {
			b = routeAttrU32(b, unix.RTA_OIF, f.OIF)
		}
	}
	return core.Message{Header: core.Header{Type: unix.RTM_GETROUTE}, Data: b}
}

// match reports whether r passes every condition of f.
func (f *RouteFilter) match(r *Route) bool {
	if f == nil {
		return true
	}
	switch {
	case f.Family != FamilyUnspec && r.Family != f.Family,
		f.Table != TableUnspec && r.Table != f.Table,
		f.Protocol != ProtocolUnspec && r.Protocol != f.Protocol,
		f.Type != RouteTypeUnspec && r.Type != f.Type,
		f.Scope != nil && r.Scope != *f.Scope,
		f.Dst.IsValid() && r.Dst != f.Dst:
		return false
	}
	if f.OIF != 0 && r.OIF != f.OIF && !routeHopsMatch(r, func(h *RouteNexthop) bool { return h.OIF == f.OIF }) {
		return false
	}
	if f.Gateway.IsValid() && r.Gateway != f.Gateway && r.Via != f.Gateway &&
		!routeHopsMatch(r, func(h *RouteNexthop) bool { return h.Gateway == f.Gateway || h.Via == f.Gateway }) {
		return false
	}
	return true
}

func routeHopsMatch(r *Route, fn func(*RouteNexthop) bool) bool {
	for i := range r.Nexthops {
		if fn(&r.Nexthops[i]) {
			return true
		}
	}
	return false
}
