package main

import (
	"context"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newNetconfCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netconf",
		Short: "Show the links' IP configuration (forwarding, rp_filter, ...)",
		Long: `netconf shows what netconf reports of each link's IP configuration, like
"ip netconf show": forwarding, rp_filter, mc_forwarding, proxy_neigh,
ignore_routes_with_linkdown, and the "all" and "default" settings.

  nlkit netconf list [dev NAME|all|default] [-4|-6]

With dev, one request gets the link's settings (IPv4 unless -6).
-j prints JSON with the field names of "ip -j netconf".`,
	}
	list := objListCommand(env, "list [dev NAME|all|default]", "List netconf settings",
		"IPv4 only", "IPv6 only", nil, runNetconfList)
	cmd.AddCommand(list)
	return cmd
}

func runNetconfList(ctx context.Context, env *cli.Env, fam route.Family, args []string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	var dev int32
	var one bool
	a := &objArgs{args: args}
	for kw := range a.keywords() {
		if kw != "dev" {
			return cli.Usagef("netconf list: unknown argument %q", kw)
		}
		v, err := a.value(kw)
		if err != nil {
			return err
		}
		one = true
		switch v {
		case "all":
			dev = route.NetconfIfindexAll
		case "default":
			dev = route.NetconfIfindexDefault
		default:
			if dev, err = objLinkIndex(ctx, c, v); err != nil {
				return err
			}
		}
	}
	links, err := ifNamesDump(ctx, c)
	if err != nil {
		return err
	}
	seq := c.NetconfIter(ctx, fam)
	if one {
		if fam == route.FamilyUnspec {
			fam = route.FamilyInet
		}
		seq = cli.One(c.Netconf(ctx, fam, dev))
	}
	return cli.PrintList(env, seq,
		func(b []byte, nc *route.Netconf) []byte { return append(b, nc.Format(links.name)...) },
		func(nc *route.Netconf) (any, error) {
			if nc.Ifindex > 0 {
				return objJSON(nc, links, objName{"interface", nc.Ifindex})
			}
			return objJSON(nc, links)
		})
}
