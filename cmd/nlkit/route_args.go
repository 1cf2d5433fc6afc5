package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"golang.org/x/sys/unix"
)

// routeLinks names the links of the --netns namespace for the route
// verbs, which take and print ifindexes unsigned.
type routeLinks struct{ names ifNames }

// name is the resolver Route.AppendText and AppendJSON take.
func (l *routeLinks) name(i uint32) string { return l.names.uname(i) }

// lookup resolves a device name (or "ifN", a bare index) as ip does.
func (l *routeLinks) lookup(name string) (uint32, error) {
	if i, ok := l.names.index(name); ok {
		return uint32(i), nil
	}
	if n, ok := strings.CutPrefix(name, "if"); ok {
		if v, err := strconv.ParseUint(n, 10, 32); err == nil {
			return uint32(v), nil
		}
	}
	return 0, routeNoDevice(name)
}

// routeNoDevice is a device name that does not resolve: not a usage
// error, as ip says it.
type routeNoDevice string

func (e routeNoDevice) Error() string { return fmt.Sprintf("cannot find device %q", string(e)) }

// routeArgs reads ip(8)'s route syntax one word at a time.
type routeArgs struct {
	args []string
	i    int
}

func (a *routeArgs) more() bool { return a.i < len(a.args) }

func (a *routeArgs) next() string {
	s := a.args[a.i]
	a.i++
	return s
}

// value returns the word after key.
func (a *routeArgs) value(key string) (string, error) {
	if !a.more() {
		return "", cli.Usagef("%q needs a value", key)
	}
	return a.next(), nil
}

func (a *routeArgs) uint(key string, bits int) (uint64, error) {
	s, err := a.value(key)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 0, bits)
	if err != nil {
		return 0, cli.Usagef("%s: invalid number %q", key, s)
	}
	return v, nil
}

func (a *routeArgs) addr(key string) (netip.Addr, error) {
	s, err := a.value(key)
	if err != nil {
		return netip.Addr{}, err
	}
	v, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, cli.Usagef("%s: invalid address %q", key, s)
	}
	return v, nil
}

// routeParsePrefix reads "default", an address (a host route) or a
// prefix. Host bits are kept: the kernel says what it thinks of them.
func routeParsePrefix(s string, fam route.Family) (netip.Prefix, route.Family, error) {
	if s == "default" || s == "all" {
		return netip.Prefix{}, fam, nil
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return p, routeFamilyOf(p.Addr()), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), routeFamilyOf(a), nil
	}
	return netip.Prefix{}, fam, cli.Usagef("any valid prefix is expected rather than %q", s)
}

func routeFamilyOf(a netip.Addr) route.Family {
	if a.Is4() {
		return route.FamilyInet
	}
	return route.FamilyInet6
}

// routeParseRoute reads the arguments of ip route add/del/replace/append:
//
//	[TYPE] PREFIX [tos TOS] [table TABLE] [proto PROTO] [scope SCOPE]
//	[metric N] [via [inet|inet6] ADDR] [dev NAME] [src ADDR] [from PREFIX]
//	[onlink] [METRIC [lock] N]... [congctl [lock] NAME] [nhid ID]
//	[encap mpls LABEL[/LABEL...] [ttl N]] [pref low|medium|high]
//	[expires SECONDS] [realm N] [nexthop NH]...
//
// where NH is [via [inet|inet6] ADDR] [dev NAME] [weight N] [onlink]
// [encap ...].
func routeParseRoute(args []string, fam route.Family, links *routeLinks) (*route.Route, error) {
	r := &route.Route{Family: fam}
	a := &routeArgs{args: args}
	haveDst := false
	for a.more() {
		w := a.next()
		var err error
		switch w {
		case "to":
			w, err = a.value("to")
			if err != nil {
				return nil, err
			}
			fallthrough
		default:
			if !haveDst {
				if t, terr := route.ParseRouteType(w); terr == nil && a.i == 1 && a.more() && w != "unspec" {
					r.Type = t
					continue
				}
				r.Dst, r.Family, err = routeParsePrefix(w, r.Family)
				haveDst = err == nil
				break
			}
			err = cli.Usagef("unknown argument %q", w)
		case "tos", "dsfield":
			var v uint64
			v, err = a.uint(w, 8)
			r.TOS = uint8(v)
		case "table":
			var s string
			if s, err = a.value(w); err == nil {
				r.Table, err = route.ParseTable(s)
			}
		case "proto", "protocol":
			var s string
			if s, err = a.value(w); err == nil {
				r.Protocol, err = route.ParseProtocol(s)
			}
		case "scope":
			var s string
			if s, err = a.value(w); err == nil {
				r.Scope, err = route.ParseScope(s)
			}
		case "metric", "priority", "preference":
			var v uint64
			v, err = a.uint(w, 32)
			r.Priority = uint32(v)
		case "via":
			var gw netip.Addr
			if gw, err = routeParseVia(a); err == nil {
				if r.Family != route.FamilyUnspec && routeFamilyOf(gw) != r.Family {
					r.Via = gw
				} else {
					r.Gateway = gw
				}
			}
		case "dev", "oif":
			var s string
			if s, err = a.value(w); err == nil {
				r.OIF, err = links.lookup(s)
			}
		case "iif":
			var s string
			if s, err = a.value(w); err == nil {
				r.IIF, err = links.lookup(s)
			}
		case "src":
			r.PrefSrc, err = a.addr(w)
		case "from":
			var s string
			if s, err = a.value(w); err == nil {
				r.Src, _, err = routeParsePrefix(s, r.Family)
			}
		case "onlink":
			r.Flags |= route.RouteOnLink
		case "pervasive":
			r.Flags |= route.RoutePervasive
		case "nhid":
			var v uint64
			v, err = a.uint(w, 32)
			r.NHID = uint32(v)
		case "realm", "realms":
			var v uint64
			v, err = a.uint(w, 32)
			r.Flow = uint32(v)
		case "encap":
			r.Encap, err = routeParseEncap(a)
		case "pref":
			var s string
			if s, err = a.value(w); err == nil {
				r.Pref, err = route.ParseRoutePref(s)
			}
		case "expires":
			var v uint64
			v, err = a.uint(w, 32)
			r.Expires = secondsDuration(v)
		case "congctl":
			var s string
			if s, err = a.value(w); err == nil && s == "lock" {
				r.Metrics.Lock |= 1 << unix.RTAX_CC_ALGO
				s, err = a.value(w)
			}
			r.Metrics.CongestionControl = s
		case "nexthop":
			var h route.RouteNexthop
			if h, err = routeParseNexthop(a, r.Family, links); err == nil {
				r.Nexthops = append(r.Nexthops, h)
			}
		case "mtu", "advmss", "window", "rtt", "rttvar", "ssthresh", "cwnd", "reordering", "hoplimit",
			"initcwnd", "features", "rto_min", "initrwnd", "quickack", "fastopen_no_cookie":
			t, _ := route.ParseRouteMetric(w)
			if a.more() && a.args[a.i] == "lock" {
				a.i++
				r.Metrics.Lock |= 1 << t
			}
			var v uint64
			if v, err = a.uint(w, 32); err == nil {
				err = r.Metrics.Set(t, uint32(v))
			}
		}
		if err != nil {
			return nil, routeUsage(err)
		}
	}
	if !haveDst {
		return nil, cli.Usagef("a destination prefix (or \"default\") is needed")
	}
	if r.Family == route.FamilyUnspec && r.Gateway.IsValid() {
		r.Family = routeFamilyOf(r.Gateway)
	}
	return r, nil
}

// routeUsage makes a parse error a usage error.
func routeUsage(err error) error {
	switch err.(type) {
	case *cli.UsageError, routeNoDevice:
		return err
	}
	return cli.Usagef("%v", err)
}

// routeParseVia reads `via [inet|inet6] ADDR`.
func routeParseVia(a *routeArgs) (netip.Addr, error) {
	if a.more() && (a.args[a.i] == "inet" || a.args[a.i] == "inet6") {
		a.i++
	}
	return a.addr("via")
}

// routeParseEncap reads `encap mpls LABEL[/LABEL...] [ttl N]`.
func routeParseEncap(a *routeArgs) (*route.Encap, error) {
	t, err := a.value("encap")
	if err != nil {
		return nil, err
	}
	if t != "mpls" {
		return nil, cli.Usagef("encap %s: only mpls is supported here", t)
	}
	s, err := a.value("encap mpls")
	if err != nil {
		return nil, err
	}
	e := &route.Encap{Type: route.EncapMPLS}
	for _, l := range strings.Split(s, "/") {
		v, err := strconv.ParseUint(l, 10, 20)
		if err != nil {
			return nil, cli.Usagef("encap mpls: invalid label %q", l)
		}
		e.Labels = append(e.Labels, uint32(v))
	}
	if a.more() && a.args[a.i] == "ttl" {
		a.i++
		v, err := a.uint("ttl", 8)
		if err != nil {
			return nil, err
		}
		e.TTL = uint8(v)
	}
	return e, nil
}

// routeParseNexthop reads one hop, up to the next "nexthop" or the end.
func routeParseNexthop(a *routeArgs, fam route.Family, links *routeLinks) (route.RouteNexthop, error) {
	var h route.RouteNexthop
	for a.more() && a.args[a.i] != "nexthop" {
		w := a.next()
		var err error
		switch w {
		case "via":
			var gw netip.Addr
			if gw, err = routeParseVia(a); err == nil {
				if fam != route.FamilyUnspec && routeFamilyOf(gw) != fam {
					h.Via = gw
				} else {
					h.Gateway = gw
				}
			}
		case "dev":
			var s string
			if s, err = a.value(w); err == nil {
				h.OIF, err = links.lookup(s)
			}
		case "weight":
			var v uint64
			v, err = a.uint(w, 16)
			h.Weight = int(v)
		case "onlink":
			h.Flags |= route.RouteOnLink
		case "realm", "realms":
			var v uint64
			v, err = a.uint(w, 32)
			h.Flow = uint32(v)
		case "encap":
			h.Encap, err = routeParseEncap(a)
		default:
			err = cli.Usagef("nexthop: unknown argument %q", w)
		}
		if err != nil {
			return h, routeUsage(err)
		}
	}
	return h, nil
}

// routeParseFilter reads the selectors of ip route list/flush: [table
// TABLE|all] [proto P] [type T] [scope S] [dev NAME] [via ADDR]
// [root|match|exact] [PREFIX]. It reports whether a table was named.
func routeParseFilter(args []string, f *route.RouteFilter, links *routeLinks) (bool, error) {
	a := &routeArgs{args: args}
	table := false
	for a.more() {
		w := a.next()
		var err error
		switch w {
		case "table":
			var s string
			if s, err = a.value(w); err == nil {
				f.Table, err = route.ParseTable(s)
				table = true
			}
		case "proto", "protocol":
			var s string
			if s, err = a.value(w); err == nil {
				f.Protocol, err = route.ParseProtocol(s)
			}
		case "type":
			var s string
			if s, err = a.value(w); err == nil {
				f.Type, err = route.ParseRouteType(s)
			}
		case "scope":
			var s string
			var sc route.Scope
			if s, err = a.value(w); err == nil {
				sc, err = route.ParseScope(s)
				f.Scope = &sc
			}
		case "dev", "oif":
			var s string
			if s, err = a.value(w); err == nil {
				f.OIF, err = links.lookup(s)
			}
		case "via":
			f.Gateway, err = routeParseVia(a)
		case "cloned", "cached":
			f.Cloned = true
		case "exact", "to":
			var s string
			if s, err = a.value(w); err == nil {
				f.Dst, _, err = routeParsePrefix(s, f.Family)
			}
		default:
			if f.Dst.IsValid() {
				err = cli.Usagef("unknown argument %q", w)
				break
			}
			var fam route.Family
			f.Dst, fam, err = routeParsePrefix(w, f.Family)
			if err == nil && !f.Dst.IsValid() {
				// "default": the family's zero prefix.
				f.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
				if fam == route.FamilyInet6 {
					f.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
				}
			}
		}
		if err != nil {
			return false, routeUsage(err)
		}
	}
	return table, nil
}
