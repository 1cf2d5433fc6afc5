package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/netfilter/conntrack"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"
)

// ctTimeout bounds every ct and exp request that is not a stream of events.
const ctTimeout = 30 * time.Second

func newCtCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ct",
		Short: "List, get, add, update, delete and watch conntrack flows",
		Long: `ct works on the kernel's connection tracking table, as conntrack(8) and
libnl's nf-ct-* tools do. Flows print on one line each, as "conntrack -L"
prints them; -j prints JSON.

Flows are selected by flags (list and flush filter in the kernel):
  --family inet|inet6  --proto tcp|udp|icmp|...  --src ADDR --dst ADDR
  --sport N --dport N  --mark N[/MASK]  --zone N  --status ASSURED,SEEN_REPLY`,
	}
	for _, sub := range []func(*cli.Env) *cobra.Command{
		newCtListCommand, newCtGetCommand, newCtAddCommand, newCtUpdateCommand, newCtDelCommand,
		newCtFlushCommand, newCtEventsCommand, newCtStatsCommand, newCtCountCommand,
	} {
		cmd.AddCommand(sub(env))
	}
	return cmd
}

// ctFlags are the flow selection and setting flags.
type ctFlags struct {
	family, proto, src, dst string
	sport, dport            uint16
	icmpType, icmpCode      uint8
	icmpID                  uint16
	mark, status, state     string
	zone                    int
	timeout                 uint32
	helper                  string
}

func (f *ctFlags) register(fs *pflag.FlagSet, set bool) {
	fs.StringVar(&f.family, "family", "", "address family: inet (ipv4) or inet6 (ipv6)")
	fs.StringVarP(&f.proto, "proto", "p", "", "layer 4 protocol: tcp, udp, udplite, sctp, dccp, icmp, icmpv6 or a number")
	fs.StringVarP(&f.src, "src", "s", "", "original source address")
	fs.StringVar(&f.dst, "dst", "", "original destination address")
	fs.Uint16Var(&f.sport, "sport", 0, "original source port")
	fs.Uint16Var(&f.dport, "dport", 0, "original destination port")
	fs.Uint8Var(&f.icmpType, "icmp-type", 0, "ICMP or ICMPv6 type")
	fs.Uint8Var(&f.icmpCode, "icmp-code", 0, "ICMP or ICMPv6 code")
	fs.Uint16Var(&f.icmpID, "icmp-id", 0, "ICMP or ICMPv6 id")
	fs.StringVarP(&f.mark, "mark", "m", "", "mark, N or N/MASK (a filter) or N (a setting)")
	fs.IntVar(&f.zone, "zone", -1, "conntrack zone")
	fs.StringVarP(&f.status, "status", "u", "", "status bits, as ASSURED,SEEN_REPLY")
	if set {
		fs.Uint32VarP(&f.timeout, "timeout", "t", 0, "timeout in seconds")
		fs.StringVar(&f.state, "state", "", "TCP state (ESTABLISHED, SYN_SENT, ...) or SCTP/DCCP state")
		fs.StringVar(&f.helper, "helper", "", "helper to attach (ftp, sip, ...)")
	}
}

func ctParseFamily(s string) (uint8, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "inet", "ipv4", "4":
		return unix.AF_INET, nil
	case "inet6", "ipv6", "6":
		return unix.AF_INET6, nil
	}
	return 0, &cli.UsageError{Err: fmt.Errorf("unknown family %q (want inet or inet6)", s)}
}

func ctParseAddr(what, s string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, &cli.UsageError{Err: fmt.Errorf("--%s: %v", what, err)}
	}
	return a.Unmap(), nil
}

// tuple builds the original tuple from the flags.
func (f *ctFlags) tuple() (conntrack.Tuple, error) {
	var t conntrack.Tuple
	var err error
	if f.proto != "" {
		if t.Proto, err = conntrack.ParseProto(f.proto); err != nil {
			return t, &cli.UsageError{Err: err}
		}
	}
	if t.Src, err = ctParseAddr("src", f.src); err != nil {
		return t, err
	}
	if t.Dst, err = ctParseAddr("dst", f.dst); err != nil {
		return t, err
	}
	t.SrcPort, t.DstPort = f.sport, f.dport
	t.ICMPType, t.ICMPCode, t.ICMPID = f.icmpType, f.icmpCode, f.icmpID
	return t, nil
}

// base reads what a filter and a flow share: the family and the
// original tuple.
func (f *ctFlags) base() (uint8, conntrack.Tuple, error) {
	fam, err := ctParseFamily(f.family)
	if err != nil {
		return 0, conntrack.Tuple{}, err
	}
	t, err := f.tuple()
	return fam, t, err
}

// ctParseStatus reads --status.
func ctParseStatus(s string) (conntrack.Status, error) {
	st, err := conntrack.ParseStatus(s)
	if err != nil {
		return 0, &cli.UsageError{Err: err}
	}
	return st, nil
}

// filter builds a kernel-side filter from the flags.
func (f *ctFlags) filter() (*conntrack.Filter, error) {
	var flt conntrack.Filter
	var err error
	if flt.Family, flt.Orig, err = f.base(); err != nil {
		return nil, err
	}
	if f.mark != "" {
		v, m, ok := strings.Cut(f.mark, "/")
		mark, err := strconv.ParseUint(v, 0, 32)
		if err != nil {
			return nil, &cli.UsageError{Err: fmt.Errorf("--mark %q: %v", f.mark, err)}
		}
		mask := uint64(0xffffffff)
		if ok {
			if mask, err = strconv.ParseUint(m, 0, 32); err != nil || mask == 0 {
				return nil, &cli.UsageError{Err: fmt.Errorf("--mark %q: bad mask", f.mark)}
			}
		}
		flt.Mark, flt.MarkMask = uint32(mark), uint32(mask)
	}
	if f.status != "" {
		st, err := ctParseStatus(f.status)
		if err != nil {
			return nil, err
		}
		flt.Status, flt.StatusMask = st, st
	}
	if f.zone >= 0 {
		flt.Zone, flt.HasZone = uint16(f.zone), true
	}
	return &flt, nil
}

// flow builds a flow to get, add, update or delete from the flags.
func (f *ctFlags) flow() (*conntrack.Flow, error) {
	var fl conntrack.Flow
	var err error
	if fl.Family, fl.Orig, err = f.base(); err != nil {
		return nil, err
	}
	if !fl.Orig.Src.IsValid() || !fl.Orig.Dst.IsValid() || fl.Orig.Proto == 0 {
		return nil, &cli.UsageError{Err: errors.New("a flow needs --src, --dst and --proto")}
	}
	if f.mark != "" {
		mark, err := strconv.ParseUint(f.mark, 0, 32)
		if err != nil {
			return nil, &cli.UsageError{Err: fmt.Errorf("--mark %q: %v", f.mark, err)}
		}
		fl.Mark = uint32(mark)
	}
	if f.status != "" {
		if fl.Status, err = ctParseStatus(f.status); err != nil {
			return nil, err
		}
	}
	if f.zone >= 0 {
		fl.Zone = uint16(f.zone)
	}
	fl.Timeout = time.Duration(f.timeout) * time.Second
	fl.Helper = f.helper
	if f.state != "" {
		if err := ctSetState(&fl, f.state); err != nil {
			return nil, err
		}
	}
	return &fl, nil
}

// ctSetState sets the protocol state named s for the flow's protocol.
func ctSetState(fl *conntrack.Flow, s string) error {
	for i := range 16 {
		switch fl.Orig.Proto {
		case conntrack.ProtoTCP:
			if strings.EqualFold(conntrack.TCPState(i).String(), s) {
				fl.TCP.State = conntrack.TCPState(i)
				fl.Fields |= conntrack.FieldProtoInfo
				return nil
			}
		case conntrack.ProtoSCTP:
			if strings.EqualFold(conntrack.SCTPState(i).String(), s) {
				fl.SCTP.State = conntrack.SCTPState(i)
				fl.Fields |= conntrack.FieldProtoInfo
				return nil
			}
		case conntrack.ProtoDCCP:
			if strings.EqualFold(conntrack.DCCPState(i).String(), s) {
				fl.DCCP.State = conntrack.DCCPState(i)
				fl.Fields |= conntrack.FieldProtoInfo
				return nil
			}
		}
	}
	return &cli.UsageError{Err: fmt.Errorf("--state %q: not a state of %s", s, conntrack.ProtoName(fl.Orig.Proto))}
}

func ctDial(env *cli.Env) (*conntrack.Conn, error) {
	c, err := env.Dial(unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, err
	}
	return conntrack.NewConn(c), nil
}

// ctRun dials conntrack and runs fn with a context that ends after
// ctTimeout: the body of every ct and exp verb but events.
func ctRun(cmd *cobra.Command, env *cli.Env, fn func(ctx context.Context, c *conntrack.Conn) error) error {
	c, err := ctDial(env)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), ctTimeout)
	defer cancel()
	return fn(ctx, c)
}

// ctFlowVerb is a verb on one flow that the flags name: get, add, update
// and del.
type ctFlowVerb struct {
	use, short string
	// set: the verb takes the setting flags (--timeout, --state, --helper).
	set bool
	// check, if not nil, vets the flow before the socket is opened.
	check func(cmd *cobra.Command, fl *conntrack.Flow) error
	do    func(ctx context.Context, c *conntrack.Conn, fl *conntrack.Flow) error
}

func (v ctFlowVerb) command(env *cli.Env) *cobra.Command {
	var f ctFlags
	cmd := &cobra.Command{
		Use:   v.use,
		Short: v.short,
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl, err := f.flow()
			if err != nil {
				return err
			}
			if v.check != nil {
				if err := v.check(cmd, fl); err != nil {
					return err
				}
			}
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error { return v.do(ctx, c, fl) })
		},
	}
	f.register(cmd.Flags(), v.set)
	return cmd
}

// ctFilterVerb is a verb on the flows the flags select: list and flush.
func ctFilterVerb(env *cli.Env, use, short string, do func(ctx context.Context, c *conntrack.Conn, flt *conntrack.Filter) error) *cobra.Command {
	var f ctFlags
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			flt, err := f.filter()
			if err != nil {
				return err
			}
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error { return do(ctx, c, flt) })
		},
	}
	f.register(cmd.Flags(), false)
	return cmd
}

func newCtListCommand(env *cli.Env) *cobra.Command {
	return ctFilterVerb(env, "list", "List flows (conntrack -L), filtered in the kernel by the flags",
		func(ctx context.Context, c *conntrack.Conn, flt *conntrack.Filter) error {
			return cli.PrintList(env, c.FlowIter(ctx, flt), func(b []byte, fl *conntrack.Flow) []byte { return fl.AppendText(b) }, nil)
		})
}

func newCtFlushCommand(env *cli.Env) *cobra.Command {
	return ctFilterVerb(env, "flush", "Delete every flow, or those the flags select (conntrack -F)",
		func(ctx context.Context, c *conntrack.Conn, flt *conntrack.Filter) error { return c.Flush(ctx, flt) })
}

func newCtGetCommand(env *cli.Env) *cobra.Command {
	return ctFlowVerb{
		use:   "get",
		short: "Show one flow by its original tuple (conntrack -G)",
		do: func(ctx context.Context, c *conntrack.Conn, fl *conntrack.Flow) error {
			if err := c.Get(ctx, fl); err != nil {
				return err
			}
			if env.JSON {
				return env.Out.JSON(fl)
			}
			env.Out.Println(fl.String())
			return nil
		},
	}.command(env)
}

func newCtAddCommand(env *cli.Env) *cobra.Command {
	return ctFlowVerb{
		use:   "add",
		short: "Create a flow (conntrack -I); the reply tuple is the original reversed",
		set:   true,
		check: func(_ *cobra.Command, fl *conntrack.Flow) error {
			if fl.Timeout == 0 {
				return &cli.UsageError{Err: errors.New("add needs --timeout")}
			}
			return nil
		},
		do: func(ctx context.Context, c *conntrack.Conn, fl *conntrack.Flow) error { return c.Create(ctx, fl) },
	}.command(env)
}

func newCtUpdateCommand(env *cli.Env) *cobra.Command {
	var fields conntrack.Field
	return ctFlowVerb{
		use:   "update",
		short: "Change a flow's mark, timeout, status or state (conntrack -U)",
		set:   true,
		check: func(cmd *cobra.Command, _ *conntrack.Flow) error {
			fields = 0
			fs := cmd.Flags()
			for name, field := range map[string]conntrack.Field{"mark": conntrack.FieldMark, "timeout": conntrack.FieldTimeout,
				"status": conntrack.FieldStatus, "state": conntrack.FieldProtoInfo} {
				if fs.Changed(name) {
					fields |= field
				}
			}
			if fields == 0 {
				return &cli.UsageError{Err: errors.New("update needs --mark, --timeout, --status or --state")}
			}
			return nil
		},
		do: func(ctx context.Context, c *conntrack.Conn, fl *conntrack.Flow) error {
			return c.Update(ctx, fl, fields)
		},
	}.command(env)
}

func newCtDelCommand(env *cli.Env) *cobra.Command {
	return ctFlowVerb{
		use:   "del",
		short: "Delete a flow by its original tuple (conntrack -D)",
		do:    func(ctx context.Context, c *conntrack.Conn, fl *conntrack.Flow) error { return c.Delete(ctx, fl) },
	}.command(env)
}

func newCtEventsCommand(env *cli.Env) *cobra.Command {
	var newEv, updateEv, destroyEv bool
	var count int
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Print flow events as they happen (conntrack -E)",
		Long: `events prints new, updated and destroyed flows as the kernel reports them,
one line each ("[NEW] udp 17 30 src=..."), or one JSON object a line with -j.
--new, --update and --destroy pick the kinds (default all). --count N stops
after N events. When the socket overflows, "events lost" is printed on
stderr and the stream goes on.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var groups []uint32
			if newEv {
				groups = append(groups, conntrack.GroupNew)
			}
			if updateEv {
				groups = append(groups, conntrack.GroupUpdate)
			}
			if destroyEv {
				groups = append(groups, conntrack.GroupDestroy)
			}
			if len(groups) == 0 {
				groups = []uint32{conntrack.GroupNew, conntrack.GroupUpdate, conntrack.GroupDestroy}
			}
			return ctRunEvents(cmd.Context(), env, groups, count)
		},
	}
	cmd.Flags().BoolVar(&newEv, "new", false, "new flows")
	cmd.Flags().BoolVar(&updateEv, "update", false, "updated flows")
	cmd.Flags().BoolVar(&destroyEv, "destroy", false, "destroyed flows")
	cmd.Flags().IntVarP(&count, "count", "c", 0, "stop after this many events")
	return cmd
}

// ctRunEvents prints events of groups until count events (0: forever)
// or the context ends; the output is flushed after each event.
func ctRunEvents(ctx context.Context, env *cli.Env, groups []uint32, count int) error {
	cfg, err := env.Config(unix.NETLINK_NETFILTER)
	if err != nil {
		return err
	}
	l, err := conntrack.Listen(cfg, groups...)
	if err != nil {
		return err
	}
	defer l.Close()
	n := 0
	var buf []byte
	for ev, err := range l.Events(ctx) {
		if errors.Is(err, core.ErrOverrun) {
			fmt.Fprintln(env.Err, "nlkit: events lost (receive queue overrun); list again to resync")
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if env.JSON {
			b, err := ctEventJSON(ev)
			if err != nil {
				return err
			}
			env.Out.Write(append(b, '\n'))
		} else {
			buf = append(buf[:0], ev.String()...)
			env.Out.Write(append(buf, '\n'))
		}
		if err := env.Out.Flush(); err != nil {
			return err
		}
		n++
		if count > 0 && n >= count {
			return nil
		}
	}
	return nil
}

func newCtStatsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "stats",
		Short: "Print the per-CPU conntrack statistics (conntrack -S)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error {
				st, err := c.CPUStats(ctx)
				if err != nil {
					return err
				}
				if env.JSON {
					return env.Out.JSON(st)
				}
				for i := range st {
					env.Out.Println(st[i].String())
				}
				return nil
			})
		},
	}
}

func newCtCountCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "count",
		Short: "Print the number of flows and the table's limit (conntrack -C)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error {
				g, err := c.GlobalStats(ctx)
				if err != nil {
					return err
				}
				if g.MaxEntries == 0 {
					if g.MaxEntries, err = c.Max(ctx); err != nil {
						return err
					}
				}
				if env.JSON {
					return env.Out.JSON(g)
				}
				if env.Details {
					env.Out.Printf("%d (max %d)\n", g.Entries, g.MaxEntries)
					return nil
				}
				env.Out.Println(g.Entries)
				return nil
			})
		},
	}
}
