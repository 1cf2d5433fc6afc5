package main

import (
	"context"
	"encoding/json"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl/netdev"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newNetdevCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netdev",
		Short: "XDP features, queues, NAPI, page pools and queue stats (the netdev family)",
		Long: `netdev asks the kernel's netdev generic netlink family what ip(8) and
ethtool(8) do not show: what XDP and AF_XDP can do on each device (show),
its queues and the NAPI instances that poll them (queues, napi, set-napi),
its page pools (page-pools) and the per-queue statistics drivers keep
(stats), and prints its notifications (monitor). DEV, where taken, limits
the output to one device. -j prints JSON, with the attribute names of the
kernel's netdev spec and "ifname" added.`,
	}
	cmd.AddCommand(newNetdevShowCommand(env), newNetdevQueuesCommand(env), newNetdevNAPICommand(env),
		newNetdevSetNAPICommand(env), newNetdevPagePoolsCommand(env), newNetdevStatsCommand(env),
		newNetdevMonitorCommand(env))
	return cmd
}

// netdevSession is what a netdev verb works with: the client and the
// namespace's link names.
type netdevSession struct {
	env   *cli.Env
	c     *netdev.Client
	names ifNames
}

// netdevOpen dials the netdev family and reads the link names (an
// rtnetlink dump) as the global options say.
func netdevOpen(ctx context.Context, env *cli.Env) (*netdevSession, error) {
	cfg, err := env.Config(unix.NETLINK_GENERIC)
	if err != nil {
		return nil, err
	}
	c, err := netdev.Dial(cfg)
	if err != nil {
		return nil, err
	}
	names, err := netdevLinkNames(ctx, env)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &netdevSession{env: env, c: c, names: names}, nil
}

// netdevLinkNames dumps the links of the --netns namespace.
func netdevLinkNames(ctx context.Context, env *cli.Env) (ifNames, error) {
	rc, err := objDial(env)
	if err != nil {
		return nil, err
	}
	return ifNamesDump(ctx, rc)
}

// name is a link's name, or "ifindex N".
func (s *netdevSession) name(idx uint32) string {
	if n, ok := s.names[int32(idx)]; ok {
		return n
	}
	return netdevIfindexText(idx)
}

// dev resolves the optional DEV argument: 0 for none.
func (s *netdevSession) dev(args []string) (uint32, error) {
	if len(args) == 0 {
		return 0, nil
	}
	if idx, ok := s.names.index(args[0]); ok {
		return uint32(idx), nil
	}
	return 0, &core.Error{Op: "netdev: device " + strconv.Quote(args[0]), Errno: unix.ENODEV}
}

// netdevRun opens a session and runs fn, closing it after.
func netdevRun(cmd *cobra.Command, env *cli.Env, fn func(s *netdevSession) error) error {
	s, err := netdevOpen(cmd.Context(), env)
	if err != nil {
		return err
	}
	defer s.c.Close()
	return fn(s)
}

// netdevList prints the objects seq yields: one line each (line), or a
// JSON array of the objects with "ifname" added.
func netdevList[T any](s *netdevSession, seq iter.Seq2[*T, error], ifindex func(*T) uint32, line func(*T) string) error {
	return cli.PrintList(s.env, seq,
		func(b []byte, v *T) []byte { return append(b, line(v)...) },
		func(v *T) (any, error) { return netdevJSON(v, s.name(ifindex(v))) })
}

// netdevListRun is the body of the listing verbs: it opens a session,
// resolves the optional DEV argument and prints what list yields for its
// ifindex (0: every device).
func netdevListRun[T any](cmd *cobra.Command, env *cli.Env, args []string,
	list func(ctx context.Context, s *netdevSession, idx uint32) iter.Seq2[*T, error],
	ifindex func(*T) uint32, line func(s *netdevSession, v *T) string) error {
	return netdevRun(cmd, env, func(s *netdevSession) error {
		idx, err := s.dev(args)
		if err != nil {
			return err
		}
		return netdevList(s, list(cmd.Context(), s, idx), ifindex, func(v *T) string { return line(s, v) })
	})
}

// netdevIfindexText is how the objects' String methods name a device:
// "ifindex N".
func netdevIfindexText(i uint32) string { return "ifindex " + strconv.FormatUint(uint64(i), 10) }

// netdevJSON marshals v as an object with "ifname" first.
func netdevJSON(v any, ifname string) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' {
		return b, nil
	}
	name, err := json.Marshal(ifname)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"ifname":`), name...)
	if string(b) != "{}" {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

func newNetdevShowCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "show [DEV]",
		Short: "Show what XDP and AF_XDP can do on each device",
		Long: `show prints one line per device: its XDP features (basic, redirect,
ndo-xmit, xsk-zerocopy, hw-offload, rx-sg, ndo-xmit-sg), the most fragments
AF_XDP zero-copy takes, the receive metadata XDP programs can read, and
the AF_XDP features.`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netdevListRun(cmd, env, args,
				func(ctx context.Context, s *netdevSession, idx uint32) iter.Seq2[*netdev.Device, error] {
					if idx != 0 {
						return cli.One(s.c.Device(ctx, idx))
					}
					return s.c.DeviceIter(ctx)
				},
				func(d *netdev.Device) uint32 { return d.Ifindex },
				func(s *netdevSession, d *netdev.Device) string { return s.name(d.Ifindex) + " " + d.String() })
		},
	}
}

func newNetdevQueuesCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "queues [DEV]",
		Short: "List the queues of devices that are up, with the NAPI polling each",
		Long: `queues prints one line per receive or transmit queue: the device, the
queue (rx-0, tx-3), the NAPI instance servicing it when the driver says,
and the dmabuf, io_uring or AF_XDP socket bound to it, if any.`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netdevListRun(cmd, env, args,
				func(ctx context.Context, s *netdevSession, idx uint32) iter.Seq2[*netdev.Queue, error] {
					return s.c.QueueIter(ctx, idx)
				},
				func(q *netdev.Queue) uint32 { return q.Ifindex },
				func(s *netdevSession, q *netdev.Queue) string {
					return s.name(q.Ifindex) + " " + strings.TrimPrefix(q.String(), netdevIfindexText(q.Ifindex)+" ")
				})
		},
	}
}

func newNetdevNAPICommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "napi [DEV]",
		Short: "List the NAPI instances, with their IRQ, thread and settings",
		Long: `napi prints one line per NAPI instance: its ID, the device, its interrupt,
its thread when threaded, and its interrupt deferral settings
(defer-hard-irqs, gro-flush-timeout, irq-suspend-timeout).`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netdevListRun(cmd, env, args,
				func(ctx context.Context, s *netdevSession, idx uint32) iter.Seq2[*netdev.NAPI, error] {
					return s.c.NAPIIter(ctx, idx)
				},
				func(n *netdev.NAPI) uint32 { return n.Ifindex },
				func(s *netdevSession, n *netdev.NAPI) string {
					return strings.Replace(n.String(), netdevIfindexText(n.Ifindex), "dev "+s.name(n.Ifindex), 1)
				})
		},
	}
}

func newNetdevSetNAPICommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "set-napi ID [defer-hard-irqs N] [gro-flush-timeout DURATION] [irq-suspend-timeout DURATION] [threaded on|off]",
		Short: "Change a NAPI instance's interrupt deferral settings",
		Long: `set-napi reads NAPI instance ID's settings, changes those given, and sends
them back (it needs CAP_NET_ADMIN). Durations are Go durations (20us, 1ms)
or nanoseconds.`,
		Args: cli.Args(cobra.MinimumNArgs(3)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseUint(args[0], 10, 32)
			if err != nil {
				return cli.Usagef("NAPI ID %q is not a number", args[0])
			}
			cfg, err := env.Config(unix.NETLINK_GENERIC)
			if err != nil {
				return err
			}
			c, err := netdev.Dial(cfg)
			if err != nil {
				return err
			}
			defer c.Close()
			n, err := c.NAPI(cmd.Context(), uint32(id))
			if err != nil {
				return err
			}
			if err := netdevNAPIArgs(n, args[1:]); err != nil {
				return err
			}
			return c.SetNAPI(cmd.Context(), n)
		},
	}
}

// netdevNAPIArgs applies "KEYWORD VALUE" pairs to n.
func netdevNAPIArgs(n *netdev.NAPI, args []string) error {
	if len(args)%2 != 0 {
		return cli.Usagef("want KEYWORD VALUE pairs")
	}
	dur := func(kw, v string) (time.Duration, error) {
		if ns, err := strconv.ParseUint(v, 10, 63); err == nil {
			return time.Duration(ns), nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return 0, cli.Usagef("%s: %q is not a duration", kw, v)
		}
		return d, nil
	}
	for i := 0; i < len(args); i += 2 {
		kw, v := args[i], args[i+1]
		var err error
		switch kw {
		case "defer-hard-irqs":
			var x uint64
			x, err = strconv.ParseUint(v, 10, 32)
			if err != nil {
				return cli.Usagef("defer-hard-irqs: %q is not a count", v)
			}
			n.DeferHardIRQs = uint32(x)
		case "gro-flush-timeout":
			n.GROFlushTimeout, err = dur(kw, v)
		case "irq-suspend-timeout":
			n.IRQSuspendTimeout, err = dur(kw, v)
		case "threaded":
			switch v {
			case "on", "off":
				n.Threaded, n.HasThreaded = v == "on", true
			default:
				return cli.Usagef("threaded: want on or off, not %q", v)
			}
		default:
			return cli.Usagef("unknown keyword %q (want defer-hard-irqs, gro-flush-timeout, irq-suspend-timeout, threaded)", kw)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func newNetdevPagePoolsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "page-pools [DEV]",
		Short: "List the page pools, with the pages they have out",
		Long: `page-pools prints one line per page pool: its ID, the device and NAPI
instance using it, the pages (and bytes) allocated and not yet returned,
and when the driver let go of it, if it did.`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netdevListRun(cmd, env, args,
				func(ctx context.Context, s *netdevSession, idx uint32) iter.Seq2[*netdev.PagePool, error] {
					return s.c.PagePoolIter(ctx, idx)
				},
				func(p *netdev.PagePool) uint32 { return p.Ifindex },
				func(s *netdevSession, p *netdev.PagePool) string {
					line := p.String()
					if p.Ifindex != 0 {
						line = strings.Replace(line, netdevIfindexText(p.Ifindex), "dev "+s.name(p.Ifindex), 1)
					}
					return line
				})
		},
	}
}

func newNetdevStatsCommand(env *cli.Env) *cobra.Command {
	var perQueue bool
	cmd := &cobra.Command{
		Use:   "stats [DEV]",
		Short: "Show the queue statistics drivers keep (qstats)",
		Long: `stats prints, per device (or per queue with --queue), the counters the
driver keeps beyond the link statistics: packets and bytes, checksum and
GRO/GSO offload counts, drops, queue stops and wakes. Devices whose driver
keeps none (veth, for one) are not listed.`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return netdevListRun(cmd, env, args,
				func(ctx context.Context, s *netdevSession, idx uint32) iter.Seq2[*netdev.Qstats, error] {
					return s.c.QstatsIter(ctx, idx, perQueue)
				},
				func(q *netdev.Qstats) uint32 { return q.Ifindex },
				func(s *netdevSession, q *netdev.Qstats) string {
					return s.name(q.Ifindex) + strings.TrimPrefix(q.String(), netdevIfindexText(q.Ifindex))
				})
		},
	}
	cmd.Flags().BoolVar(&perQueue, "queue", false, "one entry per queue instead of per device")
	return cmd
}

func newNetdevMonitorCommand(env *cli.Env) *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "monitor [mgmt|page-pool]",
		Short: "Print the netdev notifications: devices or page pools coming and going",
		Long: `monitor joins the netdev family's "mgmt" group (the default: devices
added, removed, or whose XDP features changed) or its "page-pool" group,
and prints one line per notification; -j one JSON object a line. It runs
until interrupted, or until --count events were printed.`,
		Args: cli.Args(cobra.MaximumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			group := netdev.GroupMgmt
			if len(args) == 1 {
				group = args[0]
			}
			if group != netdev.GroupMgmt && group != netdev.GroupPagePool {
				return cli.Usagef("unknown group %q (want mgmt or page-pool)", group)
			}
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			ctx, stop := cli.Interruptible(cmd.Context())
			defer stop()
			cfg, err := env.Config(unix.NETLINK_GENERIC)
			if err != nil {
				return err
			}
			c, err := netdev.Dial(cfg)
			if err != nil {
				return err
			}
			defer c.Close()
			return cli.PrintEvents(ctx, env, c.Monitor(ctx, group), count,
				func(ev *netdev.Event) error { return cli.PrintEvent(env, ev) })
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 0, "exit after `N` events (0: run until interrupted)")
	return cmd
}
