package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"strings"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/cmd/internal/decode"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// demoTimeout bounds the whole demo, so a kernel that never answers
// cannot hang it.
const demoTimeout = 30 * time.Second

// demoEventWait bounds the wait for the event trace: the kernel queues
// the notifications of a change before it acknowledges it, so they are
// normally there at once.
const demoEventWait = 2 * time.Second

func newDemoCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Build links, addresses and routes in a throwaway namespace with the route SDK, and show them",
		Long: `demo shows the nlkit SDK at work. In a new, anonymous network namespace
(nothing on this host changes) it watches for events (route.Watch), then,
through the route package's typed calls, creates a bridge and a veth pair
(LinkAdd), brings them up (LinkChange), adds IPv4 and IPv6 addresses
(AddrAdd) and a few routes (RouteAdd), and shows what the watch saw. It
provokes two kernel errors to show their extended-ACK text, then dumps
the links, addresses and routes: one line each from the typed objects,
and the attribute tree of each message the demo made.

It needs root (creating a namespace needs CAP_SYS_ADMIN).

With --netns NAME it works in that namespace instead, which must be empty
(only lo), and leaves what it built there for you to inspect.
-j prints the whole report as JSON (the objects with the field names of
ip -j); -d shows every attribute (statistics, per-family settings, link
kind data) and the local table's routes' trees; --debug prints every
message sent and received on stderr.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), demoTimeout)
			defer cancel()
			return runDemo(ctx, env)
		},
	}
}

// The demo's plan. Addresses are documentation and test ranges only.
const (
	demoBridge = "br0"
	demoVeth   = "veth0"
	demoPeer   = "veth1"
	demoTable  = 100
)

type demoAddr struct {
	link   string
	prefix netip.Prefix
}

type demoRoute struct {
	dst   netip.Prefix
	gw    netip.Addr
	link  string
	table uint32
}

func demoAddrs() []demoAddr {
	return []demoAddr{
		{demoVeth, netip.MustParsePrefix("192.0.2.1/24")},
		{demoVeth, netip.MustParsePrefix("2001:db8::1/64")},
		{demoBridge, netip.MustParsePrefix("203.0.113.1/24")},
		{demoBridge, netip.MustParsePrefix("2001:db8:1::1/64")},
	}
}

func demoRoutes() []demoRoute {
	return []demoRoute{
		{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParseAddr("192.0.2.2"), demoVeth, route.TableMain},
		{netip.MustParsePrefix("2001:db8:2::/48"), netip.MustParseAddr("2001:db8::2"), demoVeth, route.TableMain},
		{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParseAddr("203.0.113.254"), demoBridge, demoTable},
	}
}

// demo is one run: the sockets, what was done, and the report.
type demo struct {
	env   *cli.Env
	ctx   context.Context
	conn  *core.Conn  // the requests' socket, counted and traced
	rc    *route.Conn // the route SDK over conn
	watch *route.Watcher
	fmt   *core.Formatter
	index map[string]int32 // link name -> ifindex
	names map[int32]string // ifindex -> link name
	rep   demoReport

	sent, received int
}

func runDemo(ctx context.Context, env *cli.Env) error {
	start := time.Now()
	d := &demo{
		env:   env,
		ctx:   ctx,
		fmt:   decode.Formatter(unix.NETLINK_ROUTE),
		index: map[string]int32{},
		names: map[int32]string{},
	}
	ns, owned, err := d.namespace()
	if err != nil {
		return err
	}
	if owned {
		defer ns.Close()
	}
	cfg, err := env.Config(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	cfg.NetNS = ns
	// The watch gets its own socket, uncounted: it only listens.
	watchCfg := *cfg
	cfg.Callbacks = &core.Callbacks{
		MsgOut: func(core.Message) core.Action { d.sent++; return core.Continue },
		MsgIn:  func(core.Message) core.Action { d.received++; return core.Continue },
	}
	d.conn, err = env.DialConfig(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		return needsRoot(err)
	}
	d.rc = route.NewConn(d.conn)
	if !owned {
		if err := d.checkEmpty(); err != nil {
			return err
		}
	}
	d.watch, err = route.Watch(&watchCfg, route.GroupLink, route.GroupIPv4Addr, route.GroupIPv6Addr,
		route.GroupIPv4Route, route.GroupIPv6Route)
	if err != nil {
		return needsRoot(err)
	}
	defer d.watch.Close()

	d.intro()
	d.sync()
	for _, step := range []func() error{d.buildLinks, d.addAddresses, d.addRoutes, d.traceEvents, d.showErrors, d.dumpAll} {
		if err := step(); err != nil {
			return err
		}
	}
	d.finish(time.Since(start))
	if env.JSON {
		return env.Out.JSON(&d.rep)
	}
	return nil
}

// namespace returns the namespace to work in: --netns when given (not
// owned: the caller's), else a new anonymous one (owned: closing it makes
// it and everything in it disappear).
func (d *demo) namespace() (ns *core.NetNS, owned bool, err error) {
	if d.env.NetNS != "" {
		ns, err := d.env.Namespace()
		if err != nil {
			return nil, false, needsRoot(err)
		}
		d.rep.Namespace = ns.String()
		return ns, false, nil
	}
	ns, err = core.NewNetNS()
	if err != nil {
		return nil, false, needsRoot(err)
	}
	d.rep.Namespace = "anonymous"
	return ns, true, nil
}

// needsRoot explains a permission error: namespaces need root. The hint
// replaces the generic one, so the cause is kept as text only.
func needsRoot(err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("demo needs root: it works in a network namespace of its own, and creating "+
			"or entering one needs CAP_SYS_ADMIN; run it with sudo (%v)", err)
	}
	return err
}

// checkEmpty refuses a --netns namespace that holds anything but lo, so
// the demo never changes a namespace in use.
func (d *demo) checkEmpty() error {
	var others []string
	for l, err := range d.rc.LinkIter(d.ctx, &route.LinkFilter{SkipStats: true}) {
		if err != nil {
			return err
		}
		if l.Name != "lo" {
			others = append(others, l.Name)
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("network namespace %s is not empty (links %s): the demo only works in an empty "+
			"namespace, so that it never changes one in use", d.rep.Namespace, strings.Join(others, ", "))
	}
	return nil
}

// step runs one SDK call, recording it with the request it sends.
func (d *demo) step(action string, request core.MessageType, call func() error) error {
	if err := call(); err != nil {
		return err
	}
	s := demoStep{Action: action, Request: decode.MessageTypeName(unix.NETLINK_ROUTE, request)}
	d.rep.Steps = append(d.rep.Steps, s)
	d.textf("  + %-13s %s\n", s.Request, action)
	d.sync()
	return nil
}

// lookup asks the kernel for link name's index (one RTM_GETLINK).
func (d *demo) lookup(name string) error {
	l, err := d.rc.LinkByName(d.ctx, name)
	if err != nil {
		return err
	}
	d.index[name], d.names[l.Index] = l.Index, name
	return nil
}

func (d *demo) buildLinks() error {
	d.section("Links", "route.Conn LinkAdd, LinkChange: RTM_NEWLINK")
	bridge := &route.Link{Name: demoBridge, Info: &route.BridgeInfo{}}
	if err := d.step("create bridge "+demoBridge, unix.RTM_NEWLINK, func() error { return d.rc.LinkAdd(d.ctx, bridge) }); err != nil {
		return err
	}
	d.rep.Made.Links++
	veth := &route.Link{Name: demoVeth, Info: &route.VethInfo{Peer: &route.Link{Name: demoPeer}}}
	if err := d.step("create veth pair "+demoVeth+" <-> "+demoPeer, unix.RTM_NEWLINK, func() error { return d.rc.LinkAdd(d.ctx, veth) }); err != nil {
		return err
	}
	d.rep.Made.Links += 2 // one request, two links
	for _, n := range []string{demoBridge, demoVeth, demoPeer} {
		if err := d.lookup(n); err != nil {
			return err
		}
	}
	port := &route.Link{Index: d.index[demoPeer], Flags: route.LinkUp, Change: route.LinkUp,
		Master: uint32(d.index[demoBridge]), HasMaster: true}
	if err := d.step("put "+demoPeer+" in "+demoBridge+", set it up", unix.RTM_NEWLINK, func() error { return d.rc.LinkChange(d.ctx, port) }); err != nil {
		return err
	}
	for _, n := range []string{demoVeth, demoBridge} {
		up := &route.Link{Index: d.index[n], Flags: route.LinkUp, Change: route.LinkUp}
		if err := d.step("set "+n+" up", unix.RTM_NEWLINK, func() error { return d.rc.LinkChange(d.ctx, up) }); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) addAddresses() error {
	d.section("Addresses", "route.Conn AddrAdd: RTM_NEWADDR")
	for _, a := range demoAddrs() {
		addr := &route.Addr{Index: d.index[a.link], Prefix: a.prefix}
		if a.prefix.Addr().Is6() {
			addr.Flags = route.AddrNoDAD // usable at once, no duplicate address detection
		}
		if err := d.step("add "+a.prefix.String()+" to "+a.link, unix.RTM_NEWADDR, func() error { return d.rc.AddrAdd(d.ctx, addr) }); err != nil {
			return err
		}
		d.rep.Made.Addresses++
	}
	return nil
}

func (d *demo) addRoutes() error {
	d.section("Routes", "route.Conn RouteAdd: RTM_NEWROUTE")
	for _, r := range demoRoutes() {
		rt := &route.Route{Dst: r.dst, Gateway: r.gw, OIF: uint32(d.index[r.link]), Table: r.table,
			Protocol: route.ProtocolStatic, Type: route.RouteTypeUnicast}
		if err := d.step(routeAction(r), unix.RTM_NEWROUTE, func() error { return d.rc.RouteAdd(d.ctx, rt) }); err != nil {
			return err
		}
		d.rep.Made.Routes++
	}
	return nil
}

func routeAction(r demoRoute) string {
	dst := r.dst.String()
	if r.dst.Bits() == 0 {
		dst = "default"
	}
	s := "add " + dst + " via " + r.gw.String() + " dev " + r.link
	if r.table != route.TableMain {
		s += " table " + route.TableName(r.table)
	}
	return s
}

// demoAwaited are the events the trace waits for: one for each address
// and route the demo made. The kernel sends a route's at once, but an
// IPv6 address's only when duplicate address detection is over (at once
// with nodad, but from a work queue), so it may come after later steps'.
func demoAwaited() map[string]bool {
	m := map[string]bool{}
	for _, a := range demoAddrs() {
		m["addr "+a.prefix.String()] = true
	}
	for _, r := range demoRoutes() {
		m["route "+r.dst.String()+" "+route.TableName(r.table)] = true
	}
	return m
}

// demoEventKey names what ev is about, in demoAwaited's terms.
func demoEventKey(ev *route.Event) string {
	if ev.Type != route.EventNew {
		return ""
	}
	switch o := ev.Object.(type) {
	case *route.Addr:
		return "addr " + o.Prefix.String()
	case *route.Route:
		return "route " + o.Dst.String() + " " + route.TableName(o.Table)
	}
	return ""
}

// traceEvents reads what the watch saw, until every address and route
// the demo made has shown up (or demoEventWait passes).
func (d *demo) traceEvents() error {
	d.section("Events", "what route.Watch saw meanwhile, as nlkit monitor prints them")
	ctx, cancel := context.WithTimeout(d.ctx, demoEventWait)
	defer cancel()
	names := map[int32]string{}
	for i, n := range d.names {
		names[i] = n
	}
	awaited := demoAwaited()
	for ev, err := range d.watch.Events(ctx) {
		if err != nil {
			if errors.Is(err, core.ErrOverrun) {
				d.textf("  [OVERRUN] events were lost\n")
				continue
			}
			if ctx.Err() != nil && d.ctx.Err() == nil {
				d.textf("  (no more events within %s)\n", demoEventWait)
				break
			}
			return core.WithOp(err, "watch events")
		}
		line, _, _ := strings.Cut(monitorLine(&ev, names), "\\") // a link's second line
		d.rep.Events = append(d.rep.Events, ev)
		d.rep.EventLines = append(d.rep.EventLines, strings.TrimSpace(line))
		d.textf("  %s\n", d.rep.EventLines[len(d.rep.EventLines)-1])
		delete(awaited, demoEventKey(&ev))
		if len(awaited) == 0 {
			break
		}
	}
	d.sync()
	return nil
}

// showErrors makes two requests the kernel refuses, and shows how it
// explains itself (extended ACK).
func (d *demo) showErrors() error {
	d.section("Errors", "the kernel's own explanation, from its extended ACK")
	bad := []struct {
		action  string
		request core.MessageType
		call    func() error
	}{
		{`create link bogus0 of kind "nlkit-nosuch"`, unix.RTM_NEWLINK, func() error {
			return d.rc.LinkAdd(d.ctx, &route.Link{Name: "bogus0", Info: &route.RawLinkInfo{Name: "nlkit-nosuch"}})
		}},
		{"add 198.51.100.0/25 via 198.18.0.1, which no link reaches", unix.RTM_NEWROUTE, func() error {
			return d.rc.RouteAdd(d.ctx, &route.Route{Dst: netip.MustParsePrefix("198.51.100.0/25"),
				Gateway: netip.MustParseAddr("198.18.0.1"), Protocol: route.ProtocolStatic, Type: route.RouteTypeUnicast})
		}},
	}
	for _, b := range bad {
		de := demoError{Action: b.action, Request: decode.MessageTypeName(unix.NETLINK_ROUTE, b.request)}
		err := b.call()
		var ke *core.Error
		switch {
		case err == nil:
			de.Error = "(the kernel accepted it)"
		case errors.As(err, &ke):
			de.Errno = errnoName(ke.Errno)
			de.Code = int(ke.Errno)
			de.Message = ke.Message
			de.Error = err.Error()
		default:
			return err
		}
		d.rep.Errors = append(d.rep.Errors, de)
		d.textf("  ! %-13s %s\n", de.Request, de.Action)
		d.textf("      error: %s\n", de.Error)
		if de.Errno != "" {
			d.textf("      (errno %s = %d; extended-ACK message %q)\n", de.Errno, de.Code, de.Message)
		}
		d.sync()
	}
	return nil
}

// errnoName names an errno as the kernel's headers do.
func errnoName(e unix.Errno) string {
	if e == unix.EOPNOTSUPP {
		return "EOPNOTSUPP" // x/sys/unix names 95 ENOTSUP, its alias
	}
	if n := unix.ErrnoName(e); n != "" {
		return n
	}
	return fmt.Sprintf("errno %d", int(e))
}
