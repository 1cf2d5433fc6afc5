package main

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newRouteCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "route",
		Short: "List, look up, add, delete and flush routes",
		Long: `route lists, looks up, adds, deletes and flushes routes, with the arguments
of ip-route(8):

  nlkit route list [table N|all] [proto P] [type T] [scope S] [dev NAME] [via ADDR] [PREFIX]
  nlkit route get 198.51.100.7 [from ADDR] [iif NAME] [oif NAME] [mark N] [fibmatch]
  nlkit route add 198.51.100.0/24 via 192.0.2.2 dev veth0 table 100 metric 5
  nlkit route add 203.0.113.0/24 nexthop via 192.0.2.2 weight 2 nexthop via 192.0.2.3
  nlkit route add blackhole 198.51.100.128/25 table 1000
  nlkit route add default via 192.0.2.254 mtu lock 1400 initcwnd 10
  nlkit route replace|append|del ...   (the same arguments)
  nlkit route flush proto static [table N|all]

Like ip, list and flush work on the main table unless --table (or the
"table" argument) names another or "all", and on IPv4 unless -6 (or the
table is "all", which lists both families). Interfaces are named from one
link dump of the namespace. list prints one route a line, as "ip route"
does; -j prints a JSON array with the field names of "ip -j route".`,
	}
	var (
		v4, v6 bool
		family string
		table  string
	)
	cmd.PersistentFlags().BoolVarP(&v4, "ipv4", "4", false, "IPv4 only")
	cmd.PersistentFlags().BoolVarP(&v6, "ipv6", "6", false, "IPv6 only")
	cmd.PersistentFlags().StringVar(&family, "family", "", "address `FAMILY` (inet, inet6)")
	fam := func() (route.Family, error) {
		switch {
		case v4 && v6:
			return 0, cli.Usagef("-4 and -6 together")
		case v4:
			return route.FamilyInet, nil
		case v6:
			return route.FamilyInet6, nil
		case family != "":
			f, err := route.ParseFamily(family)
			if err != nil {
				return 0, cli.Usagef("%v", err)
			}
			return f, nil
		}
		return route.FamilyUnspec, nil
	}
	selector := func(use, short string, flush bool) *cobra.Command {
		c := &cobra.Command{
			Use:   use + " [table N|all] [proto P] [type T] [scope S] [dev NAME] [via ADDR] [PREFIX]",
			Short: short,
			RunE: func(cmd *cobra.Command, args []string) error {
				f, err := fam()
				if err != nil {
					return err
				}
				return runRouteSelect(cmd.Context(), env, f, table, args, flush)
			},
		}
		c.Flags().StringVar(&table, "table", "", "routing table `N|all` (default main)")
		return c
	}
	list := selector("list", "List routes", false)
	list.Aliases = []string{"show", "ls"}
	get := &cobra.Command{
		Use:   "get ADDRESS [from ADDR] [iif NAME] [oif NAME] [mark N] [uid N] [ipproto P] [sport N] [dport N] [fibmatch]",
		Short: "Look up the route a packet takes",
		Args:  cli.Args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRouteGet(cmd.Context(), env, args)
		},
	}
	change := func(use, short string) *cobra.Command {
		c := &cobra.Command{
			Use:   use + " [TYPE] PREFIX [via ADDR] [dev NAME] [table N] [metric N] [options]",
			Short: short,
			Args:  cli.Args(cobra.MinimumNArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				f, err := fam()
				if err != nil {
					return err
				}
				return runRouteChange(cmd.Context(), env, use, f, args)
			},
		}
		return c
	}
	cmd.AddCommand(list, get,
		change("add", "Add a route"),
		change("replace", "Add a route, or replace the one with its key"),
		change("append", "Add a route after the ones with its key"),
		change("del", "Delete a route"),
		selector("flush", "Delete the routes selected", true))
	return cmd
}

// routeDial opens a route socket and dumps the namespace's links.
func routeDial(ctx context.Context, env *cli.Env) (*route.Conn, *routeLinks, error) {
	c, err := objDial(env)
	if err != nil {
		return nil, nil, err
	}
	names, err := ifNamesDump(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	return c, &routeLinks{names: names}, nil
}

// runRouteSelect lists or flushes the routes the arguments select.
func runRouteSelect(ctx context.Context, env *cli.Env, fam route.Family, table string, args []string, flush bool) error {
	if flush && len(args) == 0 && table == "" {
		// As ip: flushing the whole main table by accident is too easy.
		return cli.Usagef("flush requires arguments (a selector such as proto static, or table N|all)")
	}
	c, links, err := routeDial(ctx, env)
	if err != nil {
		return err
	}
	f := &route.RouteFilter{Family: fam, Table: route.TableMain}
	named := false
	if table != "" {
		if f.Table, err = route.ParseTable(table); err != nil {
			return cli.Usagef("%v", err)
		}
		named = true
	}
	argTable, err := routeParseFilter(args, f, links)
	if err != nil {
		return err
	}
	named = named || argTable
	if f.Family == route.FamilyUnspec {
		switch {
		case f.Dst.IsValid():
			f.Family = routeFamilyOf(f.Dst.Addr())
		case f.Gateway.IsValid():
			f.Family = routeFamilyOf(f.Gateway)
		case !named || f.Table != route.TableUnspec:
			f.Family = route.FamilyInet // ip's default
		}
	}
	if flush {
		n, err := c.RouteFlush(ctx, f)
		if err != nil {
			return err
		}
		if env.JSON {
			env.Out.Printf("{\"deleted\":%d}\n", n)
		}
		return nil
	}
	var b []byte
	n := 0
	if env.JSON {
		env.Out.WriteString("[")
	}
	for r, err := range c.RouteIter(ctx, f) {
		if err != nil {
			return err
		}
		if f.Table != route.TableUnspec {
			// Like ip, a listing of one table does not repeat it.
			r.Table = route.TableMain
		}
		b = b[:0]
		if env.JSON {
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, '\n')
			b = r.AppendJSON(b, links.name)
		} else {
			b = r.AppendText(b, links.name)
			b = append(b, '\n')
		}
		env.Out.Write(b)
		n++
	}
	if env.JSON {
		if n > 0 {
			env.Out.WriteString("\n")
		}
		env.Out.WriteString("]\n")
	}
	return nil
}

// runRouteGet looks a destination up.
func runRouteGet(ctx context.Context, env *cli.Env, args []string) error {
	c, links, err := routeDial(ctx, env)
	if err != nil {
		return err
	}
	var dst netip.Addr
	opts := &route.RouteGetOptions{}
	a := &routeArgs{args: args}
	for a.more() {
		w := a.next()
		var v uint64
		var s string
		switch w {
		case "to":
			dst, err = a.addr(w)
		case "from":
			opts.Src, err = a.addr(w)
		case "iif":
			if s, err = a.value(w); err == nil {
				opts.IIF, err = links.lookup(s)
			}
		case "oif", "dev":
			if s, err = a.value(w); err == nil {
				opts.OIF, err = links.lookup(s)
			}
		case "mark":
			v, err = a.uint(w, 32)
			opts.Mark = uint32(v)
		case "uid":
			v, err = a.uint(w, 32)
			opts.UID, opts.HasUID = uint32(v), true
		case "ipproto":
			if s, err = a.value(w); err == nil {
				opts.IPProto, err = routeIPProto(s)
			}
		case "sport":
			v, err = a.uint(w, 16)
			opts.SPort = uint16(v)
		case "dport":
			v, err = a.uint(w, 16)
			opts.DPort = uint16(v)
		case "fibmatch":
			opts.FIBMatch = true
		default:
			if dst.IsValid() {
				err = cli.Usagef("unknown argument %q", w)
				break
			}
			if dst, err = netip.ParseAddr(w); err != nil {
				p, perr := netip.ParsePrefix(w)
				if perr != nil {
					err = cli.Usagef("invalid address %q", w)
					break
				}
				dst, err = p.Addr(), nil
			}
		}
		if err != nil {
			return routeUsage(err)
		}
	}
	if !dst.IsValid() {
		return cli.Usagef("an address to look up is needed")
	}
	r, err := c.RouteGet(ctx, dst, opts)
	if err != nil {
		return err
	}
	if env.JSON {
		env.Out.WriteString("[")
		env.Out.Write(r.AppendJSON(nil, links.name))
		env.Out.WriteString("]\n")
		return nil
	}
	env.Out.Write(append(r.AppendText(nil, links.name), '\n'))
	return nil
}

// routeIPProto reads a protocol name (tcp, udp, icmp, ...) or number.
func routeIPProto(s string) (uint8, error) {
	switch s {
	case "tcp":
		return unix.IPPROTO_TCP, nil
	case "udp":
		return unix.IPPROTO_UDP, nil
	case "icmp":
		return unix.IPPROTO_ICMP, nil
	case "ipv6-icmp", "icmpv6":
		return unix.IPPROTO_ICMPV6, nil
	case "sctp":
		return unix.IPPROTO_SCTP, nil
	}
	v, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, cli.Usagef("ipproto: invalid protocol %q", s)
	}
	return uint8(v), nil
}

// runRouteChange adds, replaces, appends or deletes one route.
func runRouteChange(ctx context.Context, env *cli.Env, verb string, fam route.Family, args []string) error {
	c, links, err := routeDial(ctx, env)
	if err != nil {
		return err
	}
	r, err := routeParseRoute(args, fam, links)
	if err != nil {
		return err
	}
	switch verb {
	case "add":
		return c.RouteAdd(ctx, r)
	case "replace":
		return c.RouteReplace(ctx, r)
	case "append":
		return c.RouteAppend(ctx, r)
	case "del":
		return c.RouteDel(ctx, r)
	}
	return fmt.Errorf("route %s: unknown operation", verb)
}

// secondsDuration turns a count of seconds into a duration.
func secondsDuration(v uint64) time.Duration { return time.Duration(v) * time.Second }
