package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newLinkCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "link",
		Short: "List, show, add, change and delete network interfaces (ip link)",
		Long: `link works on network interfaces as ip link does, with ip's arguments:

  nlkit link list [type KIND] [master DEV]
  nlkit link show [dev] NAME
  nlkit link add [name] NAME type KIND [mtu N] [address MAC] [link DEV] [master DEV]
                 [txqueuelen N] [up] [KIND OPTIONS]
  nlkit link set [dev] NAME [up|down] [mtu N] [name NEW] [address MAC] [master DEV|nomaster]
                 [alias TEXT] [txqueuelen N] [group N] [promisc on|off] [netns NAME|PATH|PID]
  nlkit link del [dev] NAME
  nlkit link stats [[dev] NAME]
  nlkit link enslave DEV MASTER
  nlkit link release DEV
  nlkit link ifindex2name INDEX
  nlkit link name2ifindex NAME

Kinds and their options:
  veth    [peer [name] NAME]
  bridge  [stp_state N] [forward_delay CS] [hello_time CS] [max_age CS] [ageing_time CS]
          [priority N] [vlan_filtering 0|1] [mcast_snooping 0|1]   (times in 1/100 s, like ip)
  macvlan, macvtap  [mode private|vepa|bridge|passthru|source]   (with link DEV)
  vxlan   id VNI [remote|group ADDR] [local ADDR] [dev DEV] [dstport N] [srcport LOW HIGH]
          [ttl N] [tos N] [learning|nolearning] [ageing S] [limit N]
  ifb, dummy
  tun, tap  [user UID] [group GID] [multi_queue] [vnet_hdr] [pi]   (persistent, via /dev/net/tun)
Any other kind is sent by name (the kernel answers for it).

Text output is one line a link, like ip -o link; -j prints JSON with ip -j's names.`,
	}
	cmd.AddCommand(
		linkListCommand(env, "list", "List the links"),
		linkListCommand(env, "show", "Show one link, or all"),
		linkAddCommand(env),
		linkSetCommand(env),
		linkDelCommand(env),
		linkStatsCommand(env),
		linkEnslaveCommand(env),
		linkReleaseCommand(env),
		linkIndexCommand(env),
		linkNameCommand(env),
	)
	return cmd
}

// linkDial opens a route Conn in the --netns namespace.
func linkDial(env *cli.Env) (*route.Conn, error) {
	c, err := env.Dial(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return route.NewConn(c), nil
}

// linkArgs walks ip-style "keyword value" arguments.
type linkArgs struct {
	args []string
	i    int
}

func (a *linkArgs) more() bool { return a.i < len(a.args) }

func (a *linkArgs) next() string {
	s := a.args[a.i]
	a.i++
	return s
}

// value returns the argument after keyword kw.
func (a *linkArgs) value(kw string) (string, error) {
	if !a.more() {
		return "", cli.Usagef("%s needs a value", kw)
	}
	return a.next(), nil
}

func (a *linkArgs) uint(kw string, bits int) (uint64, error) {
	s, err := a.value(kw)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(s, 0, bits)
	if err != nil {
		return 0, cli.Usagef("%s: invalid number %q", kw, s)
	}
	return v, nil
}

// linkDevArg takes "[dev] NAME" from the front of args.
func linkDevArg(args []string) (string, []string, error) {
	if len(args) > 0 && args[0] == "dev" {
		args = args[1:]
	}
	if len(args) == 0 {
		return "", nil, cli.Usagef("missing device name")
	}
	return args[0], args[1:], nil
}

// linkResolve returns the index of the link named name.
func linkResolve(ctx context.Context, c *route.Conn, name string) (int32, error) {
	l, err := c.LinkByName(ctx, name)
	if err != nil {
		return 0, err
	}
	return l.Index, nil
}

func linkListCommand(env *cli.Env, use, short string) *cobra.Command {
	return &cobra.Command{
		Use:   use + " [[dev] NAME] [type KIND] [master DEV]",
		Short: short,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			f := &route.LinkFilter{}
			name := ""
			a := &linkArgs{args: args}
			for a.more() {
				switch kw := a.next(); kw {
				case "type":
					if f.Kind, err = a.value(kw); err != nil {
						return err
					}
				case "master":
					m, err := a.value(kw)
					if err != nil {
						return err
					}
					idx, err := linkResolve(ctx, c, m)
					if err != nil {
						return err
					}
					f.Master = uint32(idx)
				case "dev":
					if name, err = a.value(kw); err != nil {
						return err
					}
				default:
					if name != "" {
						return cli.Usagef("unexpected argument %q", kw)
					}
					name = kw
				}
			}
			var links []route.Link
			if name != "" {
				l, err := c.LinkByName(ctx, name)
				if err != nil {
					return err
				}
				links = []route.Link{*l}
			} else if links, err = c.Links(ctx, f); err != nil {
				return err
			}
			names := linkNames(links)
			if name != "" {
				// Name the peer and master too.
				if all, err := c.Links(ctx, &route.LinkFilter{SkipStats: true}); err == nil {
					names = linkNames(all)
				}
			}
			if env.JSON {
				l := env.Out.JSONList()
				for i := range links {
					if err := l.Add(linkJSON(&links[i], names)); err != nil {
						return err
					}
				}
				return l.Close()
			}
			var b []byte
			for i := range links {
				b = linkAppendLine(b[:0], &links[i], names, env.Details)
				env.Out.Write(b)
			}
			return nil
		},
	}
}

// linkNames maps indexes to names.
func linkNames(links []route.Link) map[int32]string {
	m := make(map[int32]string, len(links))
	for i := range links {
		m[links[i].Index] = links[i].Name
	}
	return m
}

// linkJSON is a link as `ip -j link` prints it: master and link by name
// when known.
func linkJSON(l *route.Link, names map[int32]string) any {
	b, err := l.MarshalJSON()
	if err != nil {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	if n, ok := names[int32(l.Master)]; ok && l.Master != 0 {
		m["master"] = n
	}
	if n, ok := names[l.ParentIndex]; ok && l.ParentIndex != 0 && !l.HasLinkNetNSID {
		m["link"] = n
	}
	return m
}

// linkAppendLine appends the one-line form of l (ip -o link), naming the
// peer or parent and the master.
func linkAppendLine(b []byte, l *route.Link, names map[int32]string, details bool) []byte {
	b = strconv.AppendInt(b, int64(l.Index), 10)
	b = append(b, ": "...)
	b = append(b, l.Name...)
	if l.ParentIndex != 0 {
		b = append(b, '@')
		if n, ok := names[l.ParentIndex]; ok && !l.HasLinkNetNSID {
			b = append(b, n...)
		} else {
			b = append(b, "if"...)
			b = strconv.AppendInt(b, int64(l.ParentIndex), 10)
		}
	}
	b = append(b, ": <"...)
	b = append(b, l.Flags.String()...)
	b = append(b, "> mtu "...)
	b = strconv.AppendUint(b, uint64(l.MTU), 10)
	if l.Qdisc != "" {
		b = append(b, " qdisc "...)
		b = append(b, l.Qdisc...)
	}
	if l.Master != 0 {
		b = append(b, " master "...)
		if n, ok := names[int32(l.Master)]; ok {
			b = append(b, n...)
		} else {
			b = strconv.AppendUint(b, uint64(l.Master), 10)
		}
	}
	b = append(b, " state "...)
	b = append(b, l.OperState.String()...)
	b = append(b, " mode "...)
	b = append(b, l.LinkMode.String()...)
	b = append(b, " group "...)
	if l.Group == 0 {
		b = append(b, "default"...)
	} else {
		b = strconv.AppendUint(b, uint64(l.Group), 10)
	}
	b = append(b, " qlen "...)
	b = strconv.AppendUint(b, uint64(l.TxQLen), 10)
	b = append(b, "\\    link/"...)
	b = append(b, l.Type.String()...)
	if len(l.Address) > 0 {
		b = append(b, ' ')
		b = append(b, l.Address.String()...)
		b = append(b, " brd "...)
		b = append(b, l.Broadcast.String()...)
	}
	if l.HasLinkNetNSID {
		b = append(b, " link-netnsid "...)
		b = strconv.AppendInt(b, int64(l.LinkNetNSID), 10)
	}
	if l.Info != nil {
		b = append(b, " kind "...)
		b = append(b, l.Info.Kind()...)
	}
	if l.SlaveInfo != nil {
		b = append(b, " slave "...)
		b = append(b, l.SlaveInfo.Kind()...)
	}
	if details {
		for _, a := range l.AltNames {
			b = append(b, " altname "...)
			b = append(b, a...)
		}
		if l.Alias != "" {
			b = append(b, " alias "...)
			b = append(b, l.Alias...)
		}
		b = fmt.Appendf(b, " minmtu %d maxmtu %d numtxqueues %d numrxqueues %d", l.MinMTU, l.MaxMTU, l.NumTxQueues, l.NumRxQueues)
	}
	return append(b, '\n')
}

func linkDelCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:     "del [dev] NAME",
		Aliases: []string{"delete"},
		Short:   "Delete a link",
		Args:    cli.Args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, rest, err := linkDevArg(args)
			if err != nil {
				return err
			}
			if len(rest) > 0 {
				return cli.Usagef("unexpected argument %q", rest[0])
			}
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			return c.LinkDel(cmd.Context(), &route.Link{Name: name})
		},
	}
}

func linkStatsCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "stats [[dev] NAME]",
		Short: "Show the 64-bit counters of one link, or all",
		Args:  cli.Args(cobra.MaximumNArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			var links []route.Link
			if len(args) > 0 {
				name, rest, err := linkDevArg(args)
				if err != nil {
					return err
				}
				if len(rest) > 0 {
					return cli.Usagef("unexpected argument %q", rest[0])
				}
				l, err := c.LinkByName(ctx, name)
				if err != nil {
					return err
				}
				st, err := c.LinkStats(ctx, l.Index)
				if err != nil {
					return err
				}
				l.Stats = st
				links = []route.Link{*l}
			} else if links, err = c.Links(ctx, &route.LinkFilter{SkipStats: true}); err != nil {
				return err
			}
			if env.JSON {
				out := env.Out.JSONList()
				for i := range links {
					if err := out.Add(map[string]any{"ifindex": links[i].Index, "ifname": links[i].Name, "stats64": links[i].Stats}); err != nil {
						return err
					}
				}
				return out.Close()
			}
			for i := range links {
				s := links[i].Stats
				if s == nil {
					s = &route.LinkStats{}
				}
				env.Out.Printf("%d: %s: rx bytes %d packets %d errors %d dropped %d missed %d mcast %d tx bytes %d packets %d errors %d dropped %d carrier %d collsns %d\n",
					links[i].Index, links[i].Name, s.RxBytes, s.RxPackets, s.RxErrors, s.RxDropped, s.RxMissedErrors, s.Multicast,
					s.TxBytes, s.TxPackets, s.TxErrors, s.TxDropped, s.TxCarrierErrors, s.Collisions)
			}
			return nil
		},
	}
}

func linkEnslaveCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "enslave DEV MASTER",
		Short: "Make DEV a port of MASTER (ip link set DEV master MASTER)",
		Args:  cli.Args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			dev, err := linkResolve(ctx, c, args[0])
			if err != nil {
				return err
			}
			master, err := linkResolve(ctx, c, args[1])
			if err != nil {
				return err
			}
			return c.LinkSetMaster(ctx, dev, uint32(master))
		},
	}
}

func linkReleaseCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "release DEV",
		Short: "Release DEV from its master (ip link set DEV nomaster)",
		Args:  cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			dev, err := linkResolve(ctx, c, args[0])
			if err != nil {
				return err
			}
			return c.LinkSetMaster(ctx, dev, 0)
		},
	}
}

func linkIndexCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "ifindex2name INDEX",
		Short: "Print the name of interface INDEX",
		Args:  cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			i, err := strconv.ParseInt(args[0], 10, 32)
			if err != nil || i <= 0 {
				return cli.Usagef("invalid interface index %q", args[0])
			}
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			l, err := c.LinkByIndex(cmd.Context(), int32(i))
			if err != nil {
				return err
			}
			if env.JSON {
				return env.Out.JSON(map[string]any{"ifindex": l.Index, "ifname": l.Name})
			}
			env.Out.Println(l.Name)
			return nil
		},
	}
}

func linkNameCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "name2ifindex NAME",
		Short: "Print the index of interface NAME",
		Args:  cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := linkDial(env)
			if err != nil {
				return err
			}
			l, err := c.LinkByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if env.JSON {
				return env.Out.JSON(map[string]any{"ifindex": l.Index, "ifname": l.Name})
			}
			env.Out.Println(l.Index)
			return nil
		},
	}
}

// linkOnOff reads on/off (or 1/0).
func linkOnOff(kw, s string) (bool, error) {
	switch strings.ToLower(s) {
	case "on", "1", "yes", "true":
		return true, nil
	case "off", "0", "no", "false":
		return false, nil
	}
	return false, cli.Usagef("%s: want on or off, not %q", kw, s)
}
