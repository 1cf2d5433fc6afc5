package main

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func linkAddCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "add [name] NAME type KIND [OPTIONS]",
		Short: "Create a link (veth, bridge, macvlan, macvtap, vxlan, ifb, tun, tap, ...)",
		Args:  cli.Args(cobra.MinimumNArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			return linkAdd(ctx, env, c, args)
		},
	}
}

// linkAdd parses `[name] NAME type KIND ...` and creates the link.
func linkAdd(ctx context.Context, env *cli.Env, c *route.Conn, args []string) error {
	l := &route.Link{}
	a := &linkArgs{args: args}
	var kind string
	var kindArgs []string
	up := false
	for a.more() && kind == "" {
		kw := a.next()
		var err error
		switch kw {
		case "name":
			l.Name, err = a.value(kw)
		case "type":
			kind, err = a.value(kw)
		case "up":
			up = true
		default:
			var handled bool
			handled, err = linkCommonArg(ctx, c, l, kw, a)
			if !handled && err == nil {
				if l.Name != "" {
					return cli.Usagef("unexpected argument %q", kw)
				}
				l.Name = kw
			}
		}
		if err != nil {
			return err
		}
	}
	if l.Name == "" || kind == "" {
		return cli.Usagef("link add needs a name and a type")
	}
	kindArgs = a.args[a.i:]
	if kind == "tun" || kind == "tap" {
		return linkAddTun(ctx, env, c, l, kind, kindArgs, up)
	}
	info, rest, err := linkKindInfo(ctx, c, l, kind, kindArgs)
	if err != nil {
		return err
	}
	// Common options may also follow the kind's.
	ra := &linkArgs{args: rest}
	for ra.more() {
		kw := ra.next()
		if kw == "up" {
			up = true
			continue
		}
		handled, err := linkCommonArg(ctx, c, l, kw, ra)
		if err != nil {
			return err
		}
		if !handled {
			return cli.Usagef("unexpected argument %q for type %s", kw, kind)
		}
	}
	l.Info = info
	if up {
		l.Flags, l.Change = route.LinkUp, route.LinkUp
	}
	return c.LinkAdd(ctx, l)
}

// linkCommonArg handles the options every kind takes, reporting whether
// kw was one.
func linkCommonArg(ctx context.Context, c *route.Conn, l *route.Link, kw string, a *linkArgs) (bool, error) {
	switch kw {
	case "mtu":
		v, err := a.uint(kw, 32)
		l.MTU = uint32(v)
		return true, err
	case "txqueuelen", "txqlen", "qlen":
		v, err := a.uint(kw, 32)
		l.TxQLen = uint32(v)
		return true, err
	case "address":
		s, err := a.value(kw)
		if err != nil {
			return true, err
		}
		hw, err := net.ParseMAC(s)
		if err != nil {
			return true, cli.Usagef("address: %v", err)
		}
		l.Address = hw
		return true, nil
	case "link":
		s, err := a.value(kw)
		if err != nil {
			return true, err
		}
		idx, err := linkResolve(ctx, c, s)
		l.ParentIndex = idx
		return true, err
	case "master":
		s, err := a.value(kw)
		if err != nil {
			return true, err
		}
		idx, err := linkResolve(ctx, c, s)
		l.Master = uint32(idx)
		return true, err
	case "alias":
		s, err := a.value(kw)
		l.Alias = s
		return true, err
	case "group":
		v, err := a.uint(kw, 32)
		l.Group = uint32(v)
		return true, err
	}
	return false, nil
}

// linkKindInfo builds the kind data from the kind's arguments, returning
// the arguments it did not take.
func linkKindInfo(ctx context.Context, c *route.Conn, l *route.Link, kind string, args []string) (route.LinkInfo, []string, error) {
	a := &linkArgs{args: args}
	var rest []string
	switch kind {
	case "veth":
		v := &route.VethInfo{}
		if a.more() && a.args[a.i] == "peer" {
			a.next()
			if a.more() && a.args[a.i] == "name" {
				a.next()
			}
			name, err := a.value("peer")
			if err != nil {
				return nil, nil, err
			}
			v.Peer = &route.Link{Name: name}
		}
		return v, a.args[a.i:], nil
	case "bridge":
		b := &route.BridgeInfo{}
		for a.more() {
			kw := a.next()
			var err error
			ticks := func() *time.Duration {
				var v uint64
				v, err = a.uint(kw, 32)
				return route.Ptr(time.Duration(v) * 10 * time.Millisecond)
			}
			switch kw {
			case "stp_state":
				var v uint64
				v, err = a.uint(kw, 32)
				b.STPState = route.Ptr(uint32(v))
			case "priority":
				var v uint64
				v, err = a.uint(kw, 16)
				b.Priority = route.Ptr(uint16(v))
			case "forward_delay":
				b.ForwardDelay = ticks()
			case "hello_time":
				b.HelloTime = ticks()
			case "max_age":
				b.MaxAge = ticks()
			case "ageing_time":
				b.AgeingTime = ticks()
			case "vlan_filtering":
				var v uint64
				v, err = a.uint(kw, 8)
				b.VlanFiltering = route.Ptr(v != 0)
			case "mcast_snooping":
				var v uint64
				v, err = a.uint(kw, 8)
				b.McastSnooping = route.Ptr(v != 0)
			default:
				rest = append(rest, kw)
			}
			if err != nil {
				return nil, nil, err
			}
		}
		return b, rest, nil
	case "macvlan", "macvtap":
		m := &route.MacvlanInfo{Tap: kind == "macvtap"}
		for a.more() {
			kw := a.next()
			if kw != "mode" {
				rest = append(rest, kw)
				continue
			}
			s, err := a.value(kw)
			if err != nil {
				return nil, nil, err
			}
			mode, ok := route.ParseMacvlanMode(s)
			if !ok {
				return nil, nil, cli.Usagef("mode: unknown macvlan mode %q", s)
			}
			m.Mode = mode
		}
		return m, rest, nil
	case "vxlan":
		return linkVxlanInfo(ctx, c, a)
	}
	// ifb, dummy and any other kind: by name, without data.
	if info := route.DefaultKinds().New(kind); info != nil {
		return info, args, nil
	}
	return &route.RawLinkInfo{Name: kind}, args, nil
}

func linkVxlanInfo(ctx context.Context, c *route.Conn, a *linkArgs) (route.LinkInfo, []string, error) {
	v := &route.VxlanInfo{}
	var rest []string
	hasID := false
	for a.more() {
		kw := a.next()
		var err error
		num := func(bits int) uint64 {
			var n uint64
			n, err = a.uint(kw, bits)
			return n
		}
		addr := func() netip.Addr {
			var s string
			if s, err = a.value(kw); err != nil {
				return netip.Addr{}
			}
			ad, perr := netip.ParseAddr(s)
			if perr != nil {
				err = cli.Usagef("%s: %v", kw, perr)
			}
			return ad
		}
		switch kw {
		case "id", "vni":
			v.VNI, hasID = uint32(num(24)), true
		case "remote", "group":
			v.Group = addr()
		case "local":
			v.Local = addr()
		case "dev":
			var s string
			if s, err = a.value(kw); err == nil {
				var idx int32
				idx, err = linkResolve(ctx, c, s)
				v.Link = uint32(idx)
			}
		case "dstport", "port":
			v.Port = uint16(num(16))
		case "srcport":
			v.PortLow = uint16(num(16))
			if err == nil {
				v.PortHigh = uint16(num(16))
			}
		case "ttl":
			v.TTL = route.Ptr(uint8(num(8)))
		case "tos":
			v.TOS = route.Ptr(uint8(num(8)))
		case "learning":
			v.Learning = route.Ptr(true)
		case "nolearning":
			v.Learning = route.Ptr(false)
		case "ageing":
			v.Ageing = route.Ptr(time.Duration(num(32)) * time.Second)
		case "limit":
			v.Limit = route.Ptr(uint32(num(32)))
		default:
			rest = append(rest, kw)
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if !hasID {
		return nil, nil, cli.Usagef("vxlan needs id VNI")
	}
	return v, rest, nil
}

// linkAddTun makes a persistent tun or tap device through /dev/net/tun,
// in the --netns namespace.
func linkAddTun(ctx context.Context, env *cli.Env, c *route.Conn, l *route.Link, kind string, args []string, up bool) error {
	ns, err := env.Namespace()
	if err != nil {
		return err
	}
	cfg := &route.TunConfig{Name: l.Name, Tap: kind == "tap", NetNS: ns, Persist: true}
	a := &linkArgs{args: args}
	for a.more() {
		kw := a.next()
		switch kw {
		case "user":
			v, err := a.uint(kw, 32)
			if err != nil {
				return err
			}
			cfg.Owner, cfg.HasOwner = uint32(v), true
		case "group":
			v, err := a.uint(kw, 32)
			if err != nil {
				return err
			}
			cfg.Group, cfg.HasGroup = uint32(v), true
		case "multi_queue":
			cfg.MultiQueue = true
		case "vnet_hdr":
			cfg.VnetHdr = true
		case "pi":
			cfg.PI = true
		case "up":
			up = true
		default:
			return cli.Usagef("unexpected argument %q for type %s", kw, kind)
		}
	}
	f, name, err := route.TunCreate(cfg)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// Then the settings netlink can change.
	l.Name, l.Info = name, nil
	idx, err := linkResolve(ctx, c, name)
	if err != nil {
		return err
	}
	l.Index = idx
	if up {
		l.Flags, l.Change = route.LinkUp, route.LinkUp
	}
	if l.MTU != 0 || l.TxQLen != 0 || l.Address != nil || l.Master != 0 || l.Alias != "" || l.Group != 0 || up {
		return c.LinkChange(ctx, l)
	}
	return nil
}

func linkSetCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "set [dev] NAME [up|down] [mtu N] [name NEW] [address MAC] [master DEV|nomaster] [alias TEXT] [txqueuelen N] [group N] [promisc on|off] [netns NAME|PATH|PID]",
		Short: "Change a link",
		Args:  cli.Args(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name, rest, err := linkDevArg(args)
			if err != nil {
				return err
			}
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			return linkSet(ctx, c, name, rest)
		},
	}
}

// linkSet applies each change in order, one request each (a rename comes
// last, so later words still find the link).
func linkSet(ctx context.Context, c *route.Conn, name string, args []string) error {
	idx, err := linkResolve(ctx, c, name)
	if err != nil {
		return err
	}
	var ops []func() error
	newName := ""
	a := &linkArgs{args: args}
	for a.more() {
		kw := a.next()
		switch kw {
		case "up":
			ops = append(ops, func() error { return c.LinkSetUp(ctx, idx) })
		case "down":
			ops = append(ops, func() error { return c.LinkSetDown(ctx, idx) })
		case "mtu":
			v, err := a.uint(kw, 32)
			if err != nil {
				return err
			}
			ops = append(ops, func() error { return c.LinkSetMTU(ctx, idx, uint32(v)) })
		case "txqueuelen", "txqlen", "qlen":
			v, err := a.uint(kw, 32)
			if err != nil {
				return err
			}
			ops = append(ops, func() error { return c.LinkSetTxQLen(ctx, idx, uint32(v)) })
		case "group":
			v, err := a.uint(kw, 32)
			if err != nil {
				return err
			}
			ops = append(ops, func() error { return c.LinkSetGroup(ctx, idx, uint32(v)) })
		case "name":
			if newName, err = a.value(kw); err != nil {
				return err
			}
		case "address":
			s, err := a.value(kw)
			if err != nil {
				return err
			}
			hw, err := net.ParseMAC(s)
			if err != nil {
				return cli.Usagef("address: %v", err)
			}
			ops = append(ops, func() error { return c.LinkSetAddress(ctx, idx, hw) })
		case "master":
			s, err := a.value(kw)
			if err != nil {
				return err
			}
			m, err := linkResolve(ctx, c, s)
			if err != nil {
				return err
			}
			ops = append(ops, func() error { return c.LinkSetMaster(ctx, idx, uint32(m)) })
		case "nomaster":
			ops = append(ops, func() error { return c.LinkSetMaster(ctx, idx, 0) })
		case "alias":
			s, err := a.value(kw)
			if err != nil {
				return err
			}
			ops = append(ops, func() error { return c.LinkSetAlias(ctx, idx, s) })
		case "promisc", "arp", "multicast", "allmulticast":
			s, err := a.value(kw)
			if err != nil {
				return err
			}
			on, err := linkOnOff(kw, s)
			if err != nil {
				return err
			}
			flag := map[string]route.LinkFlags{"promisc": route.LinkPromisc, "arp": route.LinkNoARP,
				"multicast": route.LinkMulticast, "allmulticast": route.LinkAllMulti}[kw]
			if kw == "arp" {
				on = !on
			}
			var v route.LinkFlags
			if on {
				v = flag
			}
			ops = append(ops, func() error { return c.LinkSetFlags(ctx, idx, v, flag) })
		case "netns":
			s, err := a.value(kw)
			if err != nil {
				return err
			}
			if pid, perr := strconv.Atoi(s); perr == nil {
				ops = append(ops, func() error { return c.LinkSetNetNSPID(ctx, idx, pid) })
				break
			}
			ns, err := core.NetNSFromNameOrPath(s)
			if err != nil {
				return err
			}
			defer ns.Close()
			ops = append(ops, func() error { return c.LinkSetNetNS(ctx, idx, ns) })
		default:
			return cli.Usagef("unexpected argument %q", kw)
		}
	}
	if newName != "" {
		ops = append(ops, func() error { return c.LinkSetName(ctx, idx, newName) })
	}
	if len(ops) == 0 {
		return cli.Usagef("link set %s: nothing to change", name)
	}
	for _, op := range ops {
		if err := op(); err != nil {
			return err
		}
	}
	return nil
}
