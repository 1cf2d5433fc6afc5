package route

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/netip"

	"github.com/nlkit/nlkit/core"
	"golang.org/x/sys/unix"
)

// routeDumpRetries is how many times Routes dumps again when the kernel
// reports the dump was interrupted by a concurrent change.
const routeDumpRetries = 3

// routeListCap is the first capacity of the slice Routes decodes into.
const routeListCap = 64

// RouteIter lists the routes f selects (nil: all), decoding each into one
// reused Route: the *Route yielded is valid only inside the loop body
// (copy it, with its Nexthops slice, to keep it). A dump error, or a
// message that cannot be decoded, ends the sequence as its last pair. A
// dump the kernel marks interrupted (core.ErrDumpInterrupted) yields that
// error after all its routes: list again to be sure of a consistent view.
// A table that does not exist has no routes (no error).
func (c *Conn) RouteIter(ctx context.Context, f *RouteFilter) iter.Seq2[*Route, error] {
	return func(yield func(*Route, error) bool) {
		var r Route
		for m, err := range c.c.Dump(ctx, f.request()) {
			if err != nil {
				if routeNoTable(f, err) {
					return
				}
				yield(nil, core.WithOp(err, "route list"))
				return
			}
			if m.Header.Type != unix.RTM_NEWROUTE {
				continue
			}
			hops := r.Nexthops
			r = Route{}
			if err := r.unmarshal(m.Data, hops); err != nil {
				yield(nil, core.WithOp(err, "route list"))
				return
			}
			if !f.match(&r) {
				continue
			}
			if !yield(&r, nil) {
				return
			}
		}
	}
}

// Routes lists the routes f selects (nil: all) as a slice. Decoding
// allocates the slice, once, at its final length, and what a route holds
// by reference (next hops, encapsulation, IPv6 cache info); addresses
// never allocate. A dump interrupted by a concurrent change is run again,
// up to three times.
func (c *Conn) Routes(ctx context.Context, f *RouteFilter) ([]Route, error) {
	for attempt := 0; ; attempt++ {
		out, err := c.routeList(ctx, f)
		if errors.Is(err, core.ErrDumpInterrupted) && attempt < routeDumpRetries {
			continue
		}
		return out, err
	}
}

// routeList runs one dump. The messages are first copied, as they come,
// into byte chunks (no pointers: the garbage collector does not scan
// them, and nothing is copied twice), so that the routes can then be
// decoded into a slice of exactly the right length: growing a slice of
// routes as they arrive would allocate and copy about four times as much
// memory the collector must scan.
func (c *Conn) routeList(ctx context.Context, f *RouteFilter) ([]Route, error) {
	var (
		chunks [][]byte
		cur    = make([]byte, 0, routeChunkMin)
		spans  = make([]routeSpan, 0, routeListCap)
	)
	for m, err := range c.c.Dump(ctx, f.request()) {
		if err != nil {
			if routeNoTable(f, err) {
				return []Route{}, nil
			}
			return nil, core.WithOp(err, "route list")
		}
		if m.Header.Type != unix.RTM_NEWROUTE {
			continue
		}
		if len(cur)+len(m.Data) > cap(cur) {
			chunks = append(chunks, cur)
			cur = make([]byte, 0, max(min(2*cap(cur), routeChunkMax), len(m.Data)))
		}
		spans = append(spans, routeSpan{chunk: int32(len(chunks)), start: int32(len(cur)), end: int32(len(cur) + len(m.Data))})
		cur = append(cur, m.Data...)
	}
	chunks = append(chunks, cur)
	out := make([]Route, len(spans))
	n := 0
	for _, sp := range spans {
		r := &out[n]
		if err := r.unmarshal(chunks[sp.chunk][sp.start:sp.end], nil); err != nil {
			return out[:n], core.WithOp(err, "route list")
		}
		if f.match(r) {
			n++
		} else {
			*r = Route{}
		}
	}
	return out[:n], nil
}

// routeSpan is where one message sits in routeList's chunks.
type routeSpan struct{ chunk, start, end int32 }

// The sizes of routeList's chunks: they double from the first to the
// largest.
const (
	routeChunkMin = 64 << 10
	routeChunkMax = 4 << 20
)

// routeNoTable reports whether err is the kernel saying that the table a
// filter names does not exist ("ipv4: FIB table does not exist").
func routeNoTable(f *RouteFilter, err error) bool {
	var ke *core.Error
	return f != nil && f.Table != TableUnspec && errors.As(err, &ke) && ke.Errno == unix.ENOENT
}

// RouteGetOptions are the packet facts of a RouteGet lookup besides its
// destination (ip route get's from, iif, oif, mark, uid, ipproto, sport,
// dport, fibmatch).
type RouteGetOptions struct {
	// Src is the packet's source address ("from").
	Src netip.Addr
	// IIF is the interface the packet came in on (an input lookup;
	// needs Src).
	IIF uint32
	// OIF forces the output interface.
	OIF uint32
	// Mark is the packet's firewall mark.
	Mark uint32
	// UID is the socket's user ID, when HasUID.
	UID    uint32
	HasUID bool
	// IPProto, SPort and DPort are the packet's protocol and ports, for
	// policy rules that match on them.
	IPProto      uint8
	SPort, DPort uint16
	// FIBMatch returns the FIB entry that matched (RTM_F_FIB_MATCH)
	// rather than the resolved route.
	FIBMatch bool
	// LookupTable reports the table the lookup hit in the answer's Table
	// (RTM_F_LOOKUP_TABLE).
	LookupTable bool
}

// RouteGet asks the kernel which route a packet to dst takes (`ip route
// get`), with the packet facts in opts (nil: none).
func (c *Conn) RouteGet(ctx context.Context, dst netip.Addr, opts *RouteGetOptions) (*Route, error) {
	op := "route get " + dst.String()
	if !dst.IsValid() {
		return nil, core.WithOp(errors.New("route: invalid destination address"), op)
	}
	if opts == nil {
		opts = &RouteGetOptions{}
	}
	dst = dst.Unmap()
	fam := routeAddrFamily(dst)
	var flags RouteFlags
	if opts.FIBMatch {
		flags |= RouteFIBMatch
	}
	if opts.LookupTable {
		flags |= RouteLookupTable
	}
	b := make([]byte, 0, 96)
	b = append(b, uint8(fam), uint8(dst.BitLen()), 0, 0, 0, 0, 0, 0)
	b = append(b, byte(flags), byte(flags>>8), byte(flags>>16), byte(flags>>24))
	b = routeAttrAddr(b, unix.RTA_DST, dst)
	if opts.Src.IsValid() {
		src := opts.Src.Unmap()
		if routeAddrFamily(src) != fam {
			return nil, core.WithOp(errRouteFamily, op)
		}
		b[2] = uint8(src.BitLen())
		b = routeAttrAddr(b, unix.RTA_SRC, src)
	}
	if opts.IIF != 0 {
		b = routeAttrU32(b, unix.RTA_IIF, opts.IIF)
	}
	if opts.OIF != 0 {
		b = routeAttrU32(b, unix.RTA_OIF, opts.OIF)
	}
	if opts.Mark != 0 {
		b = routeAttrU32(b, unix.RTA_MARK, opts.Mark)
	}
	if opts.HasUID {
		b = routeAttrU32(b, unix.RTA_UID, opts.UID)
	}
	if opts.IPProto != 0 {
		b = append(b, 5, 0, unix.RTA_IP_PROTO, 0, opts.IPProto, 0, 0, 0)
	}
	if opts.SPort != 0 {
		b = append(b, 6, 0, unix.RTA_SPORT, 0, byte(opts.SPort>>8), byte(opts.SPort), 0, 0)
	}
	if opts.DPort != 0 {
		b = append(b, 6, 0, unix.RTA_DPORT, 0, byte(opts.DPort>>8), byte(opts.DPort), 0, 0)
	}
	var r *Route
	err := c.c.ExecuteFunc(ctx, request(unix.RTM_GETROUTE, 0, b), func(m core.Message) error {
		if m.Header.Type != unix.RTM_NEWROUTE || r != nil {
			return nil
		}
		r = &Route{}
		return r.unmarshal(m.Data, nil)
	})
	if err != nil {
		return nil, core.WithOp(err, op)
	}
	if r == nil {
		return nil, core.WithOp(errors.New("route: the kernel answered without a route"), op)
	}
	return r, nil
}

// RouteAdd adds r (`ip route add`): it fails with fs.ErrExist (EEXIST)
// when the route is there already. Fields left zero take ip's defaults:
// type unicast, protocol boot, table main, and scope link for a unicast
// route with no gateway (host for local and nat routes, link for
// broadcast, multicast and anycast).
func (c *Conn) RouteAdd(ctx context.Context, r *Route) error {
	return c.routeExec(ctx, "route add", unix.RTM_NEWROUTE, core.FlagCreate|core.FlagExcl, r)
}

// RouteReplace adds r or replaces the route with its key (destination,
// TOS, priority, table) (`ip route replace`). Defaults as RouteAdd.
func (c *Conn) RouteReplace(ctx context.Context, r *Route) error {
	return c.routeExec(ctx, "route replace", unix.RTM_NEWROUTE, core.FlagCreate|core.FlagReplace, r)
}

// RouteAppend adds r after the routes with the same key (`ip route
// append`); for IPv6 it adds r as another hop of the existing route.
// Defaults as RouteAdd.
func (c *Conn) RouteAppend(ctx context.Context, r *Route) error {
	return c.routeExec(ctx, "route append", unix.RTM_NEWROUTE, core.FlagCreate|core.FlagAppend, r)
}

// RouteDel deletes the route r describes (`ip route del`). Fields left
// zero match any value (scope, type, protocol, gateway, interface); the
// table defaults to main. A missing route fails with fs.ErrNotExist
// (ESRCH).
func (c *Conn) RouteDel(ctx context.Context, r *Route) error {
	return c.routeExec(ctx, "route del", unix.RTM_DELROUTE, 0, r)
}

func (c *Conn) routeExec(ctx context.Context, verb string, typ uint16, flags core.HeaderFlags, r *Route) error {
	data, err := routeRequestData(nil, typ, r)
	if err != nil {
		return core.WithOp(err, routeOpName(verb, r))
	}
	err = c.c.ExecuteFunc(ctx, request(typ, flags, data), func(core.Message) error { return nil })
	if err != nil {
		return core.WithOp(err, routeOpName(verb, r))
	}
	return nil
}

// routeRequestData appends the payload of an RTM_NEWROUTE or RTM_DELROUTE
// for r, with ip's defaults applied.
func routeRequestData(b []byte, typ uint16, r *Route) ([]byte, error) {
	rt := r.Type
	if typ == unix.RTM_DELROUTE {
		if r.Scope == ScopeUniverse || r.Table == TableUnspec {
			d := *r
			if d.Scope == ScopeUniverse {
				d.Scope = ScopeNowhere
			}
			if d.Table == TableUnspec {
				d.Table = TableMain
			}
			return d.marshal(b, rt)
		}
		return r.marshal(b, rt)
	}
	if rt == RouteTypeUnspec {
		rt = RouteTypeUnicast
	}
	scope := r.Scope
	if scope == ScopeUniverse {
		switch rt {
		case RouteTypeLocal, RouteTypeNAT:
			scope = ScopeHost
		case RouteTypeBroadcast, RouteTypeMulticast, RouteTypeAnycast:
			scope = ScopeLink
		case RouteTypeUnicast:
			if !r.Gateway.IsValid() && !r.Via.IsValid() && len(r.Nexthops) == 0 && r.NHID == 0 {
				scope = ScopeLink
			}
		}
	}
	if scope == r.Scope && r.Protocol != ProtocolUnspec && r.Table != TableUnspec {
		return r.marshal(b, rt)
	}
	d := *r
	d.Scope = scope
	if d.Protocol == ProtocolUnspec {
		d.Protocol = ProtocolBoot
	}
	if d.Table == TableUnspec {
		d.Table = TableMain
	}
	return d.marshal(b, rt)
}

// routeOpName names a route in an error's op: "route add 198.51.100.0/24"
// (with the table when it is not main).
func routeOpName(verb string, r *Route) string {
	b := make([]byte, 0, 48)
	b = append(b, verb...)
	b = append(b, ' ')
	if r.Type != RouteTypeUnspec && r.Type != RouteTypeUnicast {
		b = append(b, r.Type.String()...)
		b = append(b, ' ')
	}
	if r.Dst.IsValid() || r.Dst == (netip.Prefix{}) {
		b = r.appendDst(b)
	} else {
		b = fmt.Appendf(b, "%v", r.Dst)
	}
	if r.Table != TableMain && r.Table != TableUnspec {
		b = append(b, " table "...)
		b = append(b, TableName(r.Table)...)
	}
	return string(b)
}

// RouteFlush deletes every route f selects (nil: all of them, in every
// table: pass a filter) and returns how many it deleted (`ip route
// flush`). Routes that vanish between the dump and the delete are not
// counted and are not an error.
func (c *Conn) RouteFlush(ctx context.Context, f *RouteFilter) (int, error) {
	routes, err := c.Routes(ctx, f)
	if err != nil {
		return 0, core.WithOp(err, "route flush")
	}
	keys := make([]Route, len(routes))
	for i := range routes {
		keys[i] = routes[i].deleteKey()
	}
	errs := make([]error, len(keys))
	if err := c.routeBatch(ctx, "route del", unix.RTM_DELROUTE, 0, keys, errs); err != nil {
		return 0, core.WithOp(err, "route flush")
	}
	n := 0
	for i, e := range errs {
		switch {
		case e == nil:
			n++
		case errors.Is(e, unix.ESRCH):
		default:
			return n, fmt.Errorf("route flush: %w", errs[i])
		}
	}
	return n, nil
}

// deleteKey is the part of a dumped route a delete request needs to name
// exactly it: a multipath route is named without its hops (the kernel
// then deletes it whole).
func (r *Route) deleteKey() Route {
	k := Route{
		Family: r.Family, Type: r.Type, Protocol: r.Protocol, Scope: r.Scope, TOS: r.TOS,
		Table: r.Table, Dst: r.Dst, Src: r.Src, Priority: r.Priority, NHID: r.NHID,
	}
	if len(r.Nexthops) == 0 && r.NHID == 0 {
		k.Gateway, k.Via, k.OIF = r.Gateway, r.Via, r.OIF
	}
	if k.Table == TableUnspec {
		k.Table = TableMain
	}
	return k
}
