package main

import (
	"context"
	"time"

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
  nlkit neightbl change name arp_cache [dev NAME] [-6] [ucast_probes N] [base_reachable MS] ...

change takes the parameters of "ip ntable change": queue, queue_bytes,
app_probes, ucast_probes, mcast_probes, mcast_reprobes, proxy_queue (counts),
base_reachable, retrans, gc_stale, delay_probe, anycast_delay, proxy_delay,
locktime (milliseconds), thresh1-3 and gc_int (the initial namespace only).

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
	var c6 bool
	change := &cobra.Command{
		Use:     "change name NAME [dev NAME] [PARAMETER VALUE]...",
		Aliases: []string{"set"},
		Short:   "Change a neighbour table's parameters",
		Args:    cli.Args(cobra.MinimumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := objDial(env)
			if err != nil {
				return err
			}
			ch, err := neightblParseChange(cmd.Context(), c, args)
			if err != nil {
				return err
			}
			ch.Family = route.FamilyInet
			if c6 {
				ch.Family = route.FamilyInet6
			}
			return c.NeightblSet(cmd.Context(), ch)
		},
	}
	change.Flags().BoolVarP(&c6, "ipv6", "6", false, "the IPv6 table (ndisc_cache)")
	cmd.AddCommand(list, change)
	return cmd
}

// neightblParseChange reads "ip ntable change" arguments.
func neightblParseChange(ctx context.Context, c *route.Conn, args []string) (*route.NeightblChange, error) {
	ch := &route.NeightblChange{}
	counts := map[string]**uint32{
		"queue": &ch.QueueLen, "queue_bytes": &ch.QueueLenBytes, "app_probes": &ch.AppProbes,
		"ucast_probes": &ch.UcastProbes, "mcast_probes": &ch.McastProbes, "mcast_reprobes": &ch.McastReprobes,
		"proxy_queue": &ch.ProxyQueueLen, "thresh1": &ch.Thresh1, "thresh2": &ch.Thresh2, "thresh3": &ch.Thresh3,
	}
	times := map[string]**time.Duration{
		"base_reachable": &ch.BaseReachableTime, "retrans": &ch.RetransTime, "gc_stale": &ch.GCStaleTime,
		"delay_probe": &ch.DelayProbeTime, "anycast_delay": &ch.AnycastDelay, "proxy_delay": &ch.ProxyDelay,
		"locktime": &ch.Locktime, "gc_int": &ch.GCInterval, "interval_probe_time_ms": &ch.IntervalProbeTime,
	}
	a := &objArgs{args: args}
	for {
		kw, ok := a.next()
		if !ok {
			break
		}
		switch {
		case kw == "name":
			v, err := a.value(kw)
			if err != nil {
				return nil, err
			}
			ch.Name = v
		case kw == "dev":
			v, err := a.value(kw)
			if err != nil {
				return nil, err
			}
			if ch.Ifindex, err = objLinkIndex(ctx, c, v); err != nil {
				return nil, err
			}
		case counts[kw] != nil:
			n, err := objUint(a, kw, 32)
			if err != nil {
				return nil, err
			}
			v := uint32(n)
			*counts[kw] = &v
		case times[kw] != nil:
			n, err := objUint(a, kw, 63)
			if err != nil {
				return nil, err
			}
			d := time.Duration(n) * time.Millisecond
			*times[kw] = &d
		default:
			return nil, cli.Usagef("neightbl change: unknown argument %q", kw)
		}
	}
	if ch.Name == "" {
		return nil, cli.Usagef("neightbl change: name NAME is required")
	}
	return ch, nil
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
