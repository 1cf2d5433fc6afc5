package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
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
	names map[uint32]string
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

// netdevLinkNames dumps the links: ifindex to name.
func netdevLinkNames(ctx context.Context, env *cli.Env) (map[uint32]string, error) {
	rc, err := env.Dial(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	names := map[uint32]string{}
	req := core.Message{Header: core.Header{Type: unix.RTM_GETLINK}, Data: make([]byte, unix.SizeofIfInfomsg)}
	for m, err := range rc.Dump(ctx, req) {
		if err != nil {
			return nil, core.WithOp(err, "list links")
		}
		if len(m.Data) < unix.SizeofIfInfomsg {
			continue
		}
		idx := binary.NativeEndian.Uint32(m.Data[4:])
		s := core.ScanAttrs(m.Data[unix.SizeofIfInfomsg:])
		for s.Next() {
			if s.Type() == unix.IFLA_IFNAME {
				names[idx] = s.String()
			}
		}
	}
	return names, nil
}

// name is a link's name, or "ifindex N".
func (s *netdevSession) name(idx uint32) string {
	if n, ok := s.names[idx]; ok {
		return n
	}
	return "ifindex " + strconv.FormatUint(uint64(idx), 10)
}

// dev resolves the optional DEV argument: 0 for none.
func (s *netdevSession) dev(args []string) (uint32, error) {
	if len(args) == 0 {
		return 0, nil
	}
	for idx, n := range s.names {
		if n == args[0] {
			return idx, nil
		}
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
func netdevList[T any](s *netdevSession, seq func(yield func(*T, error) bool), ifindex func(*T) uint32, line func(*T) string) error {
	var list *cli.JSONList
	if s.env.JSON {
		list = s.env.Out.JSONList()
	}
	var b strings.Builder
	for v, err := range seq {
		if err != nil {
			return err
		}
		if list != nil {
			raw, err := netdevJSON(v, s.name(ifindex(v)))
			if err != nil {
				return err
			}
			if err := list.Add(raw); err != nil {
				return err
			}
			continue
		}
		b.Reset()
		b.WriteString(line(v))
		b.WriteByte('\n')
		s.env.Out.WriteString(b.String())
	}
	if list != nil {
		return list.Close()
	}
	return nil
}

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
			return netdevRun(cmd, env, func(s *netdevSession) error {
				idx, err := s.dev(args)
				if err != nil {
					return err
				}
				line := func(d *netdev.Device) string { return s.name(d.Ifindex) + " " + d.String() }
				ifx := func(d *netdev.Device) uint32 { return d.Ifindex }
				if idx != 0 {
					d, err := s.c.Device(cmd.Context(), idx)
					if err != nil {
						return err
					}
					return netdevList(s, func(yield func(*netdev.Device, error) bool) { yield(d, nil) }, ifx, line)
				}
				return netdevList(s, s.c.DeviceIter(cmd.Context()), ifx, line)
			})
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
			return netdevRun(cmd, env, func(s *netdevSession) error {
				idx, err := s.dev(args)
				if err != nil {
					return err
				}
				return netdevList(s, s.c.QueueIter(cmd.Context(), idx),
					func(q *netdev.Queue) uint32 { return q.Ifindex },
					func(q *netdev.Queue) string {
						return s.name(q.Ifindex) + " " + strings.TrimPrefix(q.String(), "ifindex "+strconv.FormatUint(uint64(q.Ifindex), 10)+" ")
					})
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
			return netdevRun(cmd, env, func(s *netdevSession) error {
				idx, err := s.dev(args)
				if err != nil {
					return err
				}
				return netdevList(s, s.c.NAPIIter(cmd.Context(), idx),
					func(n *netdev.NAPI) uint32 { return n.Ifindex },
					func(n *netdev.NAPI) string {
						return strings.Replace(n.String(), "ifindex "+strconv.FormatUint(uint64(n.Ifindex), 10), "dev "+s.name(n.Ifindex), 1)
					})
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
			return netdevRun(cmd, env, func(s *netdevSession) error {
				idx, err := s.dev(args)
				if err != nil {
					return err
				}
				return netdevList(s, s.c.PagePoolIter(cmd.Context(), idx),
					func(p *netdev.PagePool) uint32 { return p.Ifindex },
					func(p *netdev.PagePool) string {
						line := p.String()
						if p.Ifindex != 0 {
							line = strings.Replace(line, "ifindex "+strconv.FormatUint(uint64(p.Ifindex), 10), "dev "+s.name(p.Ifindex), 1)
						}
						return line
					})
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
			return netdevRun(cmd, env, func(s *netdevSession) error {
				idx, err := s.dev(args)
				if err != nil {
					return err
				}
				return netdevList(s, s.c.QstatsIter(cmd.Context(), idx, perQueue),
					func(q *netdev.Qstats) uint32 { return q.Ifindex },
					func(q *netdev.Qstats) string {
						return s.name(q.Ifindex) + strings.TrimPrefix(q.String(), "ifindex "+strconv.FormatUint(uint64(q.Ifindex), 10))
					})
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
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
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
			n := 0
			for ev, err := range c.Monitor(ctx, group) {
				switch {
				case errors.Is(err, core.ErrOverrun):
					env.Out.WriteString("[OVERRUN] the receive queue overflowed: events were lost\n")
					continue
				case err != nil && ctx.Err() != nil:
					return nil
				case err != nil:
					return err
				}
				if env.JSON {
					b, err := json.Marshal(ev)
					if err != nil {
						return err
					}
					env.Out.Write(append(b, '\n'))
				} else {
					env.Out.WriteString(ev.String() + "\n")
				}
				n++
				if count > 0 && n >= count {
					return nil
				}
			}
			return nil
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 0, "exit after `N` events (0: run until interrupted)")
	return cmd
}
