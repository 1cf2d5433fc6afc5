package main

import (
	"context"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newNeightblCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "neightbl",
		Short: "List the neighbour tables and their per-link parameters",
		Long: `neightbl lists the neighbour tables (arp_cache, ndisc_cache) like
"ip ntable show": each table's thresholds and defaults, then one line a
link with its parameters (times in milliseconds).

  nlkit neightbl list [name arp_cache] [dev NAME] [-4|-6]

-j prints JSON with the field names of "ip -j ntable" (and the table
statistics).`,
	}
	var v4, v6 bool
	list := &cobra.Command{
		Use:     "list [name NAME] [dev NAME]",
		Aliases: []string{"show", "ls"},
		Short:   "List neighbour tables",
		RunE: func(cmd *cobra.Command, args []string) error {
			fam, err := objFamily(v4, v6)
			if err != nil {
				return err
			}
			return runNeightblList(cmd.Context(), env, fam, args)
		},
	}
	list.Flags().BoolVarP(&v4, "ipv4", "4", false, "IPv4 (arp_cache) only")
	list.Flags().BoolVarP(&v6, "ipv6", "6", false, "IPv6 (ndisc_cache) only")
	cmd.AddCommand(list)
	return cmd
}

func runNeightblList(ctx context.Context, env *cli.Env, fam route.Family, args []string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	var name string
	var dev int32
	a := &objArgs{args: args}
	for {
		kw, ok := a.next()
		if !ok {
			break
		}
		v, err := a.value(kw)
		if err != nil {
			return err
		}
		switch kw {
		case "name":
			name = v
		case "dev":
			if dev, err = objLinkIndex(ctx, c, v); err != nil {
				return err
			}
		default:
			return cli.Usagef("neightbl list: unknown argument %q", kw)
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
	for t, err := range c.NeightblIter(ctx, fam) {
		if err != nil {
			return err
		}
		var ifindex int32
		if t.Parms != nil {
			ifindex = t.Parms.Ifindex
		}
		if (name != "" && t.Name != name) || (dev != 0 && ifindex != dev) {
			continue
		}
		if jl == nil {
			env.Out.WriteString(t.Format(links.name) + "\n")
			continue
		}
		b, err := objJSON(t, links, objName{"dev", ifindex})
		if err != nil {
			return err
		}
		if err := jl.Add(b); err != nil {
			return err
		}
	}
	if jl != nil {
		return jl.Close()
	}
	return nil
}
