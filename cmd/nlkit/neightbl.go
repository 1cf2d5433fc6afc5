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
	list := objListCommand(env, "list [name NAME] [dev NAME]", "List neighbour tables",
		"IPv4 (arp_cache) only", "IPv6 (ndisc_cache) only", nil, runNeightblList)
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
	for kw := range a.keywords() {
		switch {
		case kw == "name":
			v, err := a.value(kw)
			if err != nil {
				return nil, err
			}
			ch.Name = v
		case kw == "dev":
			var err error
			if ch.Ifindex, err = objLink(ctx, c, a, kw); err != nil {
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
	for kw := range a.keywords() {
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
	links, err := ifNamesDump(ctx, c)
	if err != nil {
		return err
	}
	ifindex := func(t *route.Neightbl) int32 {
		if t.Parms != nil {
			return t.Parms.Ifindex
		}
		return 0
	}
	keep := func(t *route.Neightbl) bool {
		return (name == "" || t.Name == name) && (dev == 0 || ifindex(t) == dev)
	}
	return cli.PrintList(env, cli.Filter(c.NeightblIter(ctx, fam), keep),
		func(b []byte, t *route.Neightbl) []byte { return append(b, t.Format(links.name)...) },
		func(t *route.Neightbl) (any, error) { return objJSON(t, links, objName{"dev", ifindex(t)}) })
}
