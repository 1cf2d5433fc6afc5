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
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// demoTimeout bounds the whole demo, so a kernel that never answers
// cannot hang it.
const demoTimeout = 30 * time.Second

func newDemoCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Build links, addresses and routes in a throwaway namespace, and show the messages",
		Long: `demo shows the nlkit SDK at work with its core alone. In a new, anonymous
network namespace (nothing on this host changes) it creates a bridge and a
veth pair, brings them up, adds IPv4 and IPv6 addresses and a few routes,
provokes two kernel errors to show their extended-ACK text, then dumps the
links, addresses and routes and prints each message's attribute tree.

It needs root (creating a namespace needs CAP_SYS_ADMIN).

With --netns NAME it works in that namespace instead, which must be empty
(only lo), and leaves what it built there for you to inspect.
-j prints the whole report as JSON; -d shows every attribute (statistics,
per-family settings, link kind data) and the local table's routes' trees;
--debug prints every message sent and received on stderr.`,
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
		{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParseAddr("192.0.2.2"), demoVeth, unix.RT_TABLE_MAIN},
		{netip.MustParsePrefix("2001:db8:2::/48"), netip.MustParseAddr("2001:db8::2"), demoVeth, unix.RT_TABLE_MAIN},
		{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParseAddr("203.0.113.254"), demoBridge, demoTable},
	}
}

// demo is one run: the socket, what was done, and the report.
type demo struct {
	env   *cli.Env
	ctx   context.Context
	conn  *core.Conn
	enc   core.AttrEncoder
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
	cfg.Callbacks = &core.Callbacks{
		MsgOut: func(core.Message) core.Action { d.sent++; return core.Continue },
		MsgIn:  func(core.Message) core.Action { d.received++; return core.Continue },
	}
	d.conn, err = env.DialConfig(unix.NETLINK_ROUTE, cfg)
	if err != nil {
		return needsRoot(err)
	}
	defer d.conn.Close()
	if !owned {
		if err := d.checkEmpty(); err != nil {
			return err
		}
	}

	d.intro()
	d.sync()
	if err := d.buildLinks(); err != nil {
		return err
	}
	if err := d.addAddresses(); err != nil {
		return err
	}
	if err := d.addRoutes(); err != nil {
		return err
	}
	if err := d.showErrors(); err != nil {
		return err
	}
	if err := d.dumpAll(); err != nil {
		return err
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
	for m, err := range d.conn.Dump(d.ctx, dumpRequest(unix.RTM_GETLINK, unix.SizeofIfInfomsg)) {
		if err != nil {
			return core.WithOp(err, "list links")
		}
		dm := decode.Decode(unix.NETLINK_ROUTE, m)
		if a := dm.Find("IFLA_IFNAME"); a != nil && a.Value != "lo" {
			others = append(others, fmt.Sprint(a.Value))
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("network namespace %s is not empty (links %s): the demo only works in an empty "+
			"namespace, so that it never changes one in use", d.rep.Namespace, strings.Join(others, ", "))
	}
	return nil
}

// execute sends req and waits for its ACK, recording the step.
func (d *demo) execute(action string, req core.Message) error {
	if _, err := d.conn.Execute(d.ctx, req); err != nil {
		return core.WithOp(err, action)
	}
	step := demoStep{Action: action, Request: decode.MessageTypeName(unix.NETLINK_ROUTE, req.Header.Type)}
	d.rep.Steps = append(d.rep.Steps, step)
	d.textf("  + %-13s %s\n", step.Request, action)
	d.sync()
	return nil
}

// lookup asks the kernel for link name's index.
func (d *demo) lookup(name string) error {
	reply, err := d.conn.Execute(d.ctx, getLinkRequest(&d.enc, name))
	if err != nil {
		return core.WithOp(err, "get link "+name)
	}
	for _, m := range reply {
		if idx, ok := linkIndex(m); ok {
			d.index[name], d.names[idx] = idx, name
			return nil
		}
	}
	return fmt.Errorf("get link %s: no link in the kernel's answer", name)
}

func (d *demo) buildLinks() error {
	d.section("Links", "RTM_NEWLINK with IFLA_LINKINFO, then RTM_SETLINK")
	if err := d.execute("create bridge "+demoBridge, newLinkRequest(&d.enc, demoBridge, "bridge", "")); err != nil {
		return err
	}
	d.rep.Made.Links++
	if err := d.execute("create veth pair "+demoVeth+" <-> "+demoPeer, newLinkRequest(&d.enc, demoVeth, "veth", demoPeer)); err != nil {
		return err
	}
	d.rep.Made.Links += 2 // one request, two links
	for _, n := range []string{demoBridge, demoVeth, demoPeer} {
		if err := d.lookup(n); err != nil {
			return err
		}
	}
	if err := d.execute("put "+demoPeer+" in "+demoBridge+", set it up", setLinkUpRequest(&d.enc, d.index[demoPeer], d.index[demoBridge])); err != nil {
		return err
	}
	for _, n := range []string{demoVeth, demoBridge} {
		if err := d.execute("set "+n+" up", setLinkUpRequest(&d.enc, d.index[n], 0)); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) addAddresses() error {
	d.section("Addresses", "RTM_NEWADDR")
	for _, a := range demoAddrs() {
		if err := d.execute("add "+a.prefix.String()+" to "+a.link, newAddrRequest(&d.enc, a.prefix, d.index[a.link])); err != nil {
			return err
		}
		d.rep.Made.Addresses++
	}
	return nil
}

func (d *demo) addRoutes() error {
	d.section("Routes", "RTM_NEWROUTE")
	for _, r := range demoRoutes() {
		if err := d.execute(routeAction(r), newRouteRequest(&d.enc, r.dst, r.gw, d.index[r.link], r.table)); err != nil {
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
	if r.table != unix.RT_TABLE_MAIN {
		s += " table " + decode.TableName(r.table)
	}
	return s
}

// showErrors sends two requests the kernel refuses, and shows how it
// explains itself (extended ACK).
func (d *demo) showErrors() error {
	d.section("Errors", "the kernel's own explanation, from its extended ACK")
	bad := []struct {
		action string
		req    func() core.Message
	}{
		{`create link bogus0 of kind "nlkit-nosuch"`, func() core.Message {
			return newLinkRequest(&d.enc, "bogus0", "nlkit-nosuch", "")
		}},
		{"add 198.51.100.0/25 via 198.18.0.1, which no link reaches", func() core.Message {
			return newRouteRequest(&d.enc, netip.MustParsePrefix("198.51.100.0/25"), netip.MustParseAddr("198.18.0.1"), 0, unix.RT_TABLE_MAIN)
		}},
	}
	for _, b := range bad {
		req := b.req()
		de := demoError{Action: b.action, Request: decode.MessageTypeName(unix.NETLINK_ROUTE, req.Header.Type)}
		_, err := d.conn.Execute(d.ctx, req)
		var ke *core.Error
		switch {
		case err == nil:
			de.Error = "(the kernel accepted it)"
		case errors.As(err, &ke):
			de.Errno = errnoName(ke.Errno)
			de.Code = int(ke.Errno)
			de.Message = ke.Message
			de.Error = core.WithOp(err, b.action).Error()
		default:
			return core.WithOp(err, b.action)
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
