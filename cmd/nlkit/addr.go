package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newAddrCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "addr",
		Short: "List, add and delete interface addresses",
		Long: `addr lists, adds and deletes IPv4 and IPv6 interface addresses, with the
arguments of ip-address(8):

  nlkit addr list [dev NAME] [scope SCOPE] [label LABEL] [-4|-6]
  nlkit addr add 192.0.2.1/24 dev veth0 broadcast + label veth0:1
  nlkit addr add 2001:db8::1/64 dev veth0 nodad noprefixroute valid_lft 300 preferred_lft 100
  nlkit addr add 198.51.100.5 peer 198.51.100.9/32 dev veth0 metric 10
  nlkit addr replace 192.0.2.1/24 dev veth0 valid_lft forever
  nlkit addr del 192.0.2.1/24 dev veth0

list prints one address a line, as "ip -o addr" does; -j prints JSON with
the field names of "ip -j addr" (one object an address, with ifindex and
ifname).`,
	}
	var v4, v6 bool
	listRun := func(cmd *cobra.Command, args []string) error {
		f, dev, err := addrParseFilter(args)
		if err != nil {
			return err
		}
		switch {
		case v4 && v6:
			return cli.Usagef("-4 and -6 together: leave both out for both families")
		case v4:
			f.Family = route.FamilyInet
		case v6:
			f.Family = route.FamilyInet6
		}
		return runAddrList(cmd.Context(), env, f, dev)
	}
	cmd.RunE = listRun // `nlkit addr` alone lists, as `ip addr` does
	cmd.PersistentFlags().BoolVarP(&v4, "ipv4", "4", false, "IPv4 addresses only")
	cmd.PersistentFlags().BoolVarP(&v6, "ipv6", "6", false, "IPv6 addresses only")
	list := &cobra.Command{
		Use:     "list [dev NAME] [scope SCOPE] [label LABEL]",
		Aliases: []string{"show", "ls"},
		Short:   "List addresses",
		RunE:    listRun,
	}
	change := func(use, short, verb string) *cobra.Command {
		return &cobra.Command{
			Use:   use + " ADDRESS[/LEN] dev NAME [options]",
			Short: short,
			Args:  cli.Args(cobra.MinimumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return runAddrChange(cmd.Context(), env, verb, args)
			},
		}
	}
	cmd.AddCommand(list,
		change("add", "Add an address", "add"),
		change("replace", "Add an address, or change the one there", "replace"),
		change("del", "Delete an address", "del"))
	return cmd
}

// addrParseFilter reads `dev NAME`, `scope S`, `label L`.
func addrParseFilter(args []string) (*route.AddrFilter, string, error) {
	f := &route.AddrFilter{}
	dev := ""
	for i := 0; i < len(args); i++ {
		key := args[i]
		if i+1 >= len(args) {
			if dev == "" && !addrIsKeyword(key) {
				dev = key // `ip addr show eth0`
				continue
			}
			return nil, "", cli.Usagef("%q needs a value", key)
		}
		val := args[i+1]
		i++
		switch key {
		case "dev":
			dev = val
		case "scope":
			s, err := route.ParseScope(val)
			if err != nil {
				return nil, "", cli.Usagef("%v", err)
			}
			f.Scope, f.HasScope = s, true
		case "label":
			f.Label = val
		default:
			return nil, "", cli.Usagef("unknown argument %q (want dev, scope or label)", key)
		}
	}
	return f, dev, nil
}

func addrIsKeyword(s string) bool {
	switch s {
	case "dev", "scope", "label":
		return true
	}
	return false
}

func runAddrList(ctx context.Context, env *cli.Env, f *route.AddrFilter, dev string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	if dev != "" {
		if f.Index, err = ifIndex(ctx, c, dev); err != nil {
			return err
		}
	}
	names, err := ifNamesDump(ctx, c)
	if err != nil {
		return err
	}
	return cli.PrintList(env, c.AddrIter(ctx, f),
		func(b []byte, a *route.Addr) []byte { return append(b, addrLine(a, names[a.Index])...) },
		func(a *route.Addr) (any, error) {
			b, err := addrJSON(a, names[a.Index])
			return json.RawMessage(b), err
		})
}

// addrLine prints an address as `ip -o addr` does: "3: v0    inet ...".
func addrLine(a *route.Addr, name string) string {
	s := a.String()
	if name == "" {
		return s
	}
	_, rest, _ := strings.Cut(s, ": ")
	return fmt.Sprintf("%d: %-6s%s", a.Index, name, rest)
}

// addrJSON is an address's JSON with "ifname" after "ifindex", as ip
// -j puts them.
func addrJSON(a *route.Addr, name string) ([]byte, error) {
	b, err := json.Marshal(a)
	if err != nil || name == "" {
		return b, err
	}
	n, err := json.Marshal(name)
	if err != nil {
		return nil, err
	}
	i := bytes.IndexByte(b, ',') // after "ifindex", the first field
	if i < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(n)+12)
	out = append(out, b[:i+1]...)
	out = append(out, `"ifname":`...)
	out = append(out, n...)
	out = append(out, ',')
	return append(out, b[i+1:]...), nil
}

func runAddrChange(ctx context.Context, env *cli.Env, verb string, args []string) error {
	a, dev, err := addrParse(args)
	if err != nil {
		return err
	}
	c, err := objDial(env)
	if err != nil {
		return err
	}
	if a.Index, err = ifIndex(ctx, c, dev); err != nil {
		return err
	}
	switch verb {
	case "add":
		err = c.AddrAdd(ctx, a)
	case "replace":
		err = c.AddrReplace(ctx, a)
	default:
		err = c.AddrDel(ctx, a)
	}
	return core.WithOp(err, "addr "+verb+" "+a.Prefix.String()+" dev "+dev)
}

// addrParse reads ip-address(8)'s add/del arguments: [local] ADDRESS[/LEN]
// [peer PEER[/LEN]] dev NAME [broadcast ADDR|+|-] [anycast ADDR]
// [label LABEL] [scope SCOPE] [metric N] [proto P] [valid_lft N|forever]
// [preferred_lft N|forever] and the flags home, nodad, mngtmpaddr,
// noprefixroute, autojoin.
func addrParse(args []string) (*route.Addr, string, error) {
	a := &route.Addr{}
	var local, peer, brd string
	dev := ""
	valid, preferred := "", ""
	for i := 0; i < len(args); i++ {
		key := args[i]
		if f, err := route.ParseAddrFlag(key); err == nil && key != "secondary" && key != "permanent" {
			a.Flags |= f
			continue
		}
		value := func() (string, error) {
			if i+1 >= len(args) {
				return "", cli.Usagef("%q needs a value", key)
			}
			i++
			return args[i], nil
		}
		var err error
		switch key {
		case "local":
			local, err = value()
		case "peer", "address":
			peer, err = value()
		case "dev":
			dev, err = value()
		case "broadcast", "brd":
			brd, err = value()
		case "anycast":
			var v string
			if v, err = value(); err == nil {
				a.Anycast, err = netip.ParseAddr(v)
			}
		case "label":
			a.Label, err = value()
		case "scope":
			var v string
			if v, err = value(); err == nil {
				a.Scope, err = route.ParseScope(v)
			}
		case "metric", "priority":
			var v string
			if v, err = value(); err == nil {
				var n uint64
				n, err = strconv.ParseUint(v, 0, 32)
				a.Priority = uint32(n)
			}
		case "proto":
			var v string
			if v, err = value(); err == nil {
				a.Protocol, err = route.ParseAddrProtocol(v)
			}
		case "valid_lft":
			valid, err = value()
		case "preferred_lft":
			preferred, err = value()
		default:
			if local != "" {
				return nil, "", cli.Usagef("unknown argument %q", key)
			}
			local = key
		}
		if err != nil {
			return nil, "", cli.Usagef("%s: %v", key, err)
		}
	}
	if local == "" {
		return nil, "", cli.Usagef("no address given")
	}
	if dev == "" {
		return nil, "", cli.Usagef("no device given: add dev NAME")
	}
	var err error
	if a.Prefix, err = addrParsePrefix(local); err != nil {
		return nil, "", err
	}
	if peer != "" {
		p, err := addrParsePrefix(peer)
		if err != nil {
			return nil, "", err
		}
		a.Peer = p.Addr()
		if strings.Contains(peer, "/") || !strings.Contains(local, "/") {
			a.Prefix = netip.PrefixFrom(a.Prefix.Addr(), p.Bits())
		}
	}
	if brd != "" {
		if a.Broadcast, err = addrBroadcast(a.Prefix, brd); err != nil {
			return nil, "", err
		}
	}
	if valid != "" || preferred != "" {
		a.ValidLifetime, a.PreferredLifetime = route.Forever, route.Forever
		if valid != "" {
			if a.ValidLifetime, err = addrParseLifetime(valid); err != nil {
				return nil, "", err
			}
		}
		if preferred != "" {
			if a.PreferredLifetime, err = addrParseLifetime(preferred); err != nil {
				return nil, "", err
			}
		}
		if a.PreferredLifetime > a.ValidLifetime {
			return nil, "", cli.Usagef("preferred_lft is greater than valid_lft")
		}
		if a.ValidLifetime == 0 {
			return nil, "", cli.Usagef("valid_lft is zero")
		}
	}
	return a, dev, nil
}

// addrParsePrefix reads ADDRESS[/LEN]; without a length the address is a
// host address (/32, /128).
func addrParsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, cli.Usagef("invalid address %q: %v", s, err)
		}
		return p, nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, cli.Usagef("invalid address %q: %v", s, err)
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// addrBroadcast reads a broadcast address: an address, or "+" (host bits
// set) or "-" (host bits clear) computed from the prefix, as ip does.
func addrBroadcast(p netip.Prefix, s string) (netip.Addr, error) {
	if s != "+" && s != "-" {
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return ip, cli.Usagef("invalid broadcast address %q: %v", s, err)
		}
		return ip, nil
	}
	if !p.Addr().Is4() {
		return netip.Addr{}, cli.Usagef("broadcast %s needs an IPv4 address", s)
	}
	v := p.Masked().Addr().As4()
	if s == "+" {
		for bit := p.Bits(); bit < 32; bit++ {
			v[bit/8] |= 0x80 >> (bit % 8)
		}
	}
	return netip.AddrFrom4(v), nil
}

// addrParseLifetime reads seconds or "forever".
func addrParseLifetime(s string) (time.Duration, error) {
	if s == "forever" {
		return route.Forever, nil
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(s, "sec"), 10, 32)
	if err != nil {
		return 0, cli.Usagef("invalid lifetime %q: seconds or forever", s)
	}
	if n == 0xffffffff {
		return route.Forever, nil
	}
	return time.Duration(n) * time.Second, nil
}
