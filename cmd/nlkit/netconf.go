package main

import (
	"context"
	"encoding/json"

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
	var v4, v6 bool
	list := &cobra.Command{
		Use:     "list [dev NAME|all|default]",
		Aliases: []string{"show", "ls"},
		Short:   "List netconf settings",
		RunE: func(cmd *cobra.Command, args []string) error {
			fam, err := objFamily(v4, v6)
			if err != nil {
				return err
			}
			return runNetconfList(cmd.Context(), env, fam, args)
		},
	}
	list.Flags().BoolVarP(&v4, "ipv4", "4", false, "IPv4 only")
	list.Flags().BoolVarP(&v6, "ipv6", "6", false, "IPv6 only")
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
	for {
		kw, ok := a.next()
		if !ok {
			break
		}
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
	links, err := objLinkNames(ctx, c)
	if err != nil {
		return err
	}
	var jl *cli.JSONList
	if env.JSON {
		jl = env.Out.JSONList()
	}
	print := func(nc *route.Netconf) error {
		if jl == nil {
			env.Out.WriteString(nc.Format(links.name) + "\n")
			return nil
		}
		var b json.RawMessage
		var err error
		if nc.Ifindex > 0 {
			b, err = objJSON(nc, links, objName{"interface", nc.Ifindex})
		} else {
			b, err = objJSON(nc, links)
		}
		if err != nil {
			return err
		}
		return jl.Add(b)
	}
	if one {
		if fam == route.FamilyUnspec {
			fam = route.FamilyInet
		}
		nc, err := c.Netconf(ctx, fam, dev)
		if err != nil {
			return err
		}
		if err := print(nc); err != nil {
			return err
		}
	} else {
		for nc, err := range c.NetconfIter(ctx, fam) {
			if err != nil {
				return err
			}
			if err := print(nc); err != nil {
				return err
			}
		}
	}
	if jl != nil {
		return jl.Close()
	}
	return nil
}
