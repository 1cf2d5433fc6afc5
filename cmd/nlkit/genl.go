package main

import (
	"context"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/genl"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newGenlCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "genl",
		Short: "Generic netlink: families, their commands, groups and policies",
		Long: `genl asks the generic netlink controller (nlctrl) about the families the
kernel has: their IDs, versions, header sizes, commands with their flags,
multicast groups, and the attribute policies each command validates
requests against. monitor prints a family's multicast events.`,
	}
	cmd.AddCommand(newGenlListCommand(env), newGenlShowCommand(env), newGenlPolicyCommand(env), newGenlMonitorCommand(env))
	return cmd
}

// genlDial opens a generic netlink Conn as the global options say; the
// caller closes it.
func genlDial(env *cli.Env) (*genl.Conn, error) {
	cfg, err := env.Config(unix.NETLINK_GENERIC)
	if err != nil {
		return nil, err
	}
	return genl.Dial(cfg)
}

func newGenlListCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the generic netlink families",
		Long: `list prints every family the controller knows, one line each: name, ID,
version, header size, maximum attribute, commands and multicast groups.
With -d each command (with its flags: do, dump, has-policy, admin-perm,
uns-admin-perm) and each group gets a line of its own, as
genl-ctrl-list --details shows them. -j prints a JSON array.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := genlDial(env)
			if err != nil {
				return err
			}
			defer c.Close()
			return cli.PrintList(env, c.FamilyIter(cmd.Context()),
				func(b []byte, f *genl.Family) []byte { return genlAppendFamily(b, f, env.Details) }, nil)
		},
	}
}

func newGenlShowCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "show FAMILY",
		Short: "Show one generic netlink family, its commands and groups",
		Long: `show prints what the controller says about FAMILY (a name, or an ID such
as 0x10): the family line, then one line per command with its flags and
one per multicast group. -j prints a JSON object.`,
		Args: cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := genlDial(env)
			if err != nil {
				return err
			}
			defer c.Close()
			var f *genl.Family
			if id, ok := genlParseID(args[0]); ok {
				f, err = c.FamilyByID(cmd.Context(), id)
			} else {
				f, err = c.GetFamily(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			if env.JSON {
				return env.Out.JSON(f)
			}
			_, err = env.Out.Write(append(genlAppendFamily(nil, f, true), '\n'))
			return err
		},
	}
}

// genlParseID reads a family ID given as a number (decimal or 0x...).
func genlParseID(s string) (uint16, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 0, 16)
	return uint16(v), err == nil
}

// genlAppendFamily appends f's line and, with details, a line per
// command and group (no newline after the last).
func genlAppendFamily(b []byte, f *genl.Family, details bool) []byte {
	b = append(b, f.Name+" id 0x"...)
	b = strconv.AppendUint(b, uint64(f.ID), 16)
	b = strconv.AppendUint(append(b, " version "...), uint64(f.Version), 10)
	b = strconv.AppendUint(append(b, " hdrsize "...), uint64(f.HeaderSize), 10)
	b = strconv.AppendUint(append(b, " maxattr "...), uint64(f.MaxAttr), 10)
	if !details {
		for i, op := range f.Ops {
			if i == 0 {
				b = append(b, " ops "...)
			} else {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(op.ID), 10)
		}
		for i, g := range f.Groups {
			if i == 0 {
				b = append(b, " groups "...)
			} else {
				b = append(b, ',')
			}
			b = append(b, g.String()...)
		}
		return b
	}
	for _, op := range f.Ops {
		b = append(b, "\n    op "+strconv.FormatUint(uint64(op.ID), 10)+" (0x"+strconv.FormatUint(uint64(op.ID), 16)+") <"+genl.OpFlagsString(op.Flags)+">"...)
	}
	for _, g := range f.Groups {
		b = append(b, "\n    group "+g.Name+" id "+strconv.FormatUint(uint64(g.ID), 10)+" (0x"+strconv.FormatUint(uint64(g.ID), 16)+")"...)
	}
	return b
}

func newGenlPolicyCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "policy FAMILY [OP]",
		Short: "Show the attribute policies of a family's commands",
		Long: `policy dumps the attribute policies FAMILY's commands validate requests
against (CTRL_CMD_GETPOLICY), all of them or those of command OP (a
number). It prints which policy each command uses for do and dump
requests, then each policy: one line per attribute type with its kind
(u32, nul-string, nested, ...), value range, length bounds, mask, and the
nested policy it links to. Types the kernel does not dump accept anything.
-j prints a JSON object.`,
		Args: cli.Args(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			var op uint64
			if len(args) == 2 {
				var err error
				op, err = strconv.ParseUint(args[1], 0, 8)
				if err != nil {
					return cli.Usagef("OP %q is not a command number (0-255)", args[1])
				}
			}
			c, err := genlDial(env)
			if err != nil {
				return err
			}
			defer c.Close()
			var d *genl.PolicyDump
			if len(args) == 2 {
				d, err = c.OpPolicy(cmd.Context(), args[0], uint8(op))
			} else {
				d, err = c.Policy(cmd.Context(), args[0])
			}
			if err != nil {
				return err
			}
			if env.JSON {
				return env.Out.JSON(d)
			}
			env.Out.WriteString(d.String())
			return nil
		},
	}
}

func newGenlMonitorCommand(env *cli.Env) *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "monitor FAMILY GROUP",
		Short: "Print the events a family sends to one of its multicast groups",
		Long: `monitor joins FAMILY's multicast GROUP (by name: "ethtool monitor",
"nlctrl notify") and prints one line per event: the command, the version,
and the attributes as a tree of type:length, nests in braces. -j prints one
JSON object a line: {"family":..,"group":..,"cmd":..,"version":..,"data":"hex"}.
It runs until interrupted, or until --count events were printed; a lost
batch of events prints [OVERRUN].`,
		Args: cli.Args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			ctx, stop := cli.Interruptible(cmd.Context())
			defer stop()
			return genlMonitor(ctx, env, args[0], args[1], count)
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 0, "exit after `N` events (0: run until interrupted)")
	return cmd
}

func genlMonitor(ctx context.Context, env *cli.Env, family, group string, count int) error {
	c, err := genlDial(env)
	if err != nil {
		return err
	}
	defer c.Close()
	return cli.PrintEvents(ctx, env, c.Subscribe(ctx, family, group), count, func(m genl.Message) error {
		if env.JSON {
			b := []byte(`{"family":`)
			b = strconv.AppendQuote(b, family)
			b = append(b, `,"group":`...)
			b = strconv.AppendQuote(b, group)
			b = append(b, `,"cmd":`...)
			b = strconv.AppendUint(b, uint64(m.Genl.Command), 10)
			b = append(b, `,"version":`...)
			b = strconv.AppendUint(b, uint64(m.Genl.Version), 10)
			b = append(b, `,"data":"`...)
			b = hex.AppendEncode(b, m.Data)
			b = append(b, "\"}\n"...)
			env.Out.Write(b)
		} else {
			env.Out.WriteString("[" + strings.ToUpper(family) + "] cmd " + strconv.Itoa(int(m.Genl.Command)) +
				" version " + strconv.Itoa(int(m.Genl.Version)) + " " + genlAttrTree(m.Data, 0) + "\n")
		}
		return nil
	})
}

// genlAttrTree prints attributes as type:length, nests (NLA_F_NESTED)
// as type{...}.
func genlAttrTree(b []byte, depth int) string {
	var out []string
	s := core.ScanAttrs(b)
	for s.Next() {
		a := s.Attr()
		t := strconv.Itoa(int(a.Type))
		if a.Nested() && depth < 8 {
			out = append(out, t+"{"+genlAttrTree(a.Data, depth+1)+"}")
			continue
		}
		out = append(out, t+":"+strconv.Itoa(len(a.Data)))
	}
	if s.Err() != nil {
		out = append(out, "(malformed)")
	}
	return strings.Join(out, " ")
}
