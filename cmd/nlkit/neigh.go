package main

import (
	"context"
	"net"
	"net/netip"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newNeighCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "neigh",
		Short: "List, add and delete neighbour (ARP/NDP), proxy and bridge FDB entries",
		Long: `neigh lists, adds, replaces and deletes neighbour entries with the arguments
of ip-neighbour(8), and bridge forwarding entries with those of bridge(8):

  nlkit neigh list [dev NAME] [master NAME] [proxy] [fdb] [-4|-6]
  nlkit neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev veth0 nud permanent
  nlkit neigh replace 2001:db8::9 lladdr 02:00:00:00:00:0a dev veth0 nud stale router
  nlkit neigh add proxy 192.0.2.50 dev veth0
  nlkit neigh del 192.0.2.9 dev veth0
  nlkit neigh add fdb 02:00:00:00:00:21 dev veth1 [master|self] [static|permanent|dynamic] [vlan N]
  nlkit neigh del fdb 02:00:00:00:00:21 dev veth1

list prints one entry a line like "ip neigh" (or "bridge fdb" with fdb);
-j prints JSON with the field names of "ip -j neigh" ("bridge -j fdb").`,
	}
	list := objListCommand(env, "list [dev NAME] [master NAME] [proxy] [fdb]", "List neighbour entries",
		"IPv4 entries only", "IPv6 entries only", nil, runNeighList)
	change := func(verb, short string) *cobra.Command {
		return objChangeCommand(env, verb, "[proxy|fdb] ADDRESS dev NAME [options]", short, runNeighChange)
	}
	cmd.AddCommand(list,
		change("add", "Add a neighbour entry"),
		change("replace", "Add a neighbour entry, or change the one there"),
		change("del", "Delete a neighbour entry"))
	return cmd
}

func runNeighList(ctx context.Context, env *cli.Env, fam route.Family, args []string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	f := &route.NeighFilter{Family: fam}
	a := &objArgs{args: args}
	for kw := range a.keywords() {
		switch kw {
		case "dev", "master", "br":
			i, err := objLink(ctx, c, a, kw)
			if err != nil {
				return err
			}
			if kw == "dev" {
				f.Ifindex = i
			} else {
				f.Master = i
			}
		case "proxy":
			f.Proxy = true
		case "fdb":
			f.Family = route.FamilyBridge
		default:
			return cli.Usagef("neigh list: unknown argument %q", kw)
		}
	}
	links, err := ifNamesDump(ctx, c)
	if err != nil {
		return err
	}
	return cli.PrintList(env, c.NeighIter(ctx, f),
		func(b []byte, n *route.Neigh) []byte { return append(b, n.Format(links.name)...) },
		func(n *route.Neigh) (any, error) {
			key := "dev"
			if n.IsFDB() {
				key = "ifname"
			}
			return objJSON(n, links, objName{key, n.Ifindex})
		})
}

func runNeighChange(ctx context.Context, env *cli.Env, verb string, args []string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	n, fdb, err := neighParse(ctx, c, args)
	if err != nil {
		return err
	}
	switch {
	case fdb && verb == "add":
		return c.FDBAdd(ctx, n)
	case fdb && verb == "replace":
		return c.FDBReplace(ctx, n)
	case fdb:
		return c.FDBDel(ctx, n)
	case verb == "add":
		return c.NeighAdd(ctx, n)
	case verb == "replace":
		return c.NeighReplace(ctx, n)
	}
	return c.NeighDel(ctx, n)
}

// neighParse reads "[proxy|fdb] ADDRESS dev NAME [lladdr MAC] [nud STATE]
// [router] [extern_learn] [vlan N] [master|self] [static|permanent|dynamic]
// [dst IP] [vni N] [port N] [protocol P]".
func neighParse(ctx context.Context, c *route.Conn, args []string) (*route.Neigh, bool, error) {
	n := &route.Neigh{}
	a := &objArgs{args: args}
	fdb := false
	switch args[0] {
	case "proxy":
		n.Flags |= route.NeighFlagProxy
		a.i++
	case "fdb":
		fdb = true
		n.Family = route.FamilyBridge
		a.i++
	}
	first, ok := a.next()
	if !ok {
		return nil, false, cli.Usagef("neigh: missing address")
	}
	if fdb {
		mac, err := net.ParseMAC(first)
		if err != nil {
			return nil, false, cli.Usagef("neigh: invalid MAC address %q", first)
		}
		n.LLAddr = mac
	} else {
		addr, err := netip.ParseAddr(first)
		if err != nil {
			return nil, false, cli.Usagef("neigh: invalid address %q", first)
		}
		n.Dst = addr
	}
	for kw := range a.keywords() {
		var err error
		switch kw {
		case "dev":
			n.Ifindex, err = objLink(ctx, c, a, kw)
		case "lladdr":
			var v string
			if v, err = a.value(kw); err == nil {
				if n.LLAddr, err = net.ParseMAC(v); err != nil {
					err = cli.Usagef("neigh: invalid lladdr %q", v)
				}
			}
		case "nud":
			var v string
			if v, err = a.value(kw); err == nil {
				n.State, err = route.ParseNeighState(v)
			}
		case "dst":
			var v string
			if v, err = a.value(kw); err == nil {
				if n.Dst, err = netip.ParseAddr(v); err != nil {
					err = cli.Usagef("neigh: invalid dst %q", v)
				}
			}
		case "vlan":
			var v uint64
			v, err = objUint(a, kw, 16)
			n.VLAN = uint16(v)
		case "vni":
			var v uint64
			v, err = objUint(a, kw, 32)
			n.VNI = uint32(v)
		case "port":
			var v uint64
			v, err = objUint(a, kw, 16)
			n.Port = uint16(v)
		case "protocol", "proto":
			var v string
			if v, err = a.value(kw); err == nil {
				n.Protocol, err = route.ParseProtocol(v)
			}
		case "static":
			n.State |= route.NeighNoARP
		case "permanent", "local":
			n.State |= route.NeighPermanent
		case "dynamic":
			n.State |= route.NeighReachable
		case "temp":
			n.State |= route.NeighReachable | route.NeighNoARP
		default:
			var f route.NeighFlags
			if f, err = route.ParseNeighFlag(kw); err != nil {
				err = cli.Usagef("neigh: unknown argument %q", kw)
			}
			n.Flags |= f
		}
		if err != nil {
			return nil, false, err
		}
	}
	if n.Ifindex == 0 {
		return nil, false, cli.Usagef("neigh: dev NAME is required")
	}
	return n, fdb, nil
}
