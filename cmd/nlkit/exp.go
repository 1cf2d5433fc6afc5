package main

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/netfilter/conntrack"
	"github.com/spf13/cobra"
)

func newExpCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exp",
		Short: "List, add and delete conntrack expectations",
		Long: `exp works on conntrack expectations: flows a helper (ftp, sip, ...) expects,
related to a master flow. They print as "conntrack -L expect" prints them.`,
	}
	cmd.AddCommand(newExpListCommand(env), newExpAddCommand(env), newExpDelCommand(env))
	return cmd
}

func newExpListCommand(env *cli.Env) *cobra.Command {
	var family string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List expectations (conntrack -L expect)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fam, err := ctParseFamily(family)
			if err != nil {
				return err
			}
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error {
				return cli.PrintList(env, c.ExpectIter(ctx, fam),
					func(b []byte, x *conntrack.Expect) []byte { return append(b, x.String()...) }, nil)
			})
		},
	}
	cmd.Flags().StringVar(&family, "family", "", "address family: inet or inet6")
	return cmd
}

// expFlags: the expected tuple (as ct's flags), the master's tuple and
// the mask.
type expFlags struct {
	ct                       ctFlags
	masterSrc, masterDst     string
	masterSport, masterDport uint16
	maskSrc, maskDst         string
	maskSport, maskDport     uint16
}

func (f *expFlags) register(cmd *cobra.Command, add bool) {
	f.ct.register(cmd.Flags(), add)
	if !add {
		return
	}
	fs := cmd.Flags()
	fs.StringVar(&f.masterSrc, "master-src", "", "master flow's original source address")
	fs.StringVar(&f.masterDst, "master-dst", "", "master flow's original destination address")
	fs.Uint16Var(&f.masterSport, "master-sport", 0, "master flow's original source port")
	fs.Uint16Var(&f.masterDport, "master-dport", 0, "master flow's original destination port")
	fs.StringVar(&f.maskSrc, "mask-src", "", "source address mask (default all ones)")
	fs.StringVar(&f.maskDst, "mask-dst", "", "destination address mask (default all ones)")
	fs.Uint16Var(&f.maskSport, "mask-sport", 0, "source port mask (default 0: any port)")
	fs.Uint16Var(&f.maskDport, "mask-dport", 0xffff, "destination port mask")
}

func (f *expFlags) expect(add bool) (*conntrack.Expect, error) {
	t, err := f.ct.tuple()
	if err != nil {
		return nil, err
	}
	if !t.Src.IsValid() || !t.Dst.IsValid() || t.Proto == 0 {
		return nil, &cli.UsageError{Err: errors.New("an expectation needs --src, --dst and --proto")}
	}
	x := &conntrack.Expect{Tuple: t, Helper: f.ct.helper, Timeout: time.Duration(f.ct.timeout) * time.Second}
	if !add {
		return x, nil
	}
	if x.Master.Src, err = ctParseAddr("master-src", f.masterSrc); err != nil {
		return nil, err
	}
	if x.Master.Dst, err = ctParseAddr("master-dst", f.masterDst); err != nil {
		return nil, err
	}
	x.Master.Proto, x.Master.SrcPort, x.Master.DstPort = t.Proto, f.masterSport, f.masterDport
	ones := netip.MustParseAddr("255.255.255.255")
	if t.Src.Is6() {
		ones = netip.MustParseAddr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")
	}
	x.Mask = conntrack.Tuple{Src: ones, Dst: ones, Proto: t.Proto, SrcPort: f.maskSport, DstPort: f.maskDport}
	if f.maskSrc != "" {
		if x.Mask.Src, err = ctParseAddr("mask-src", f.maskSrc); err != nil {
			return nil, err
		}
	}
	if f.maskDst != "" {
		if x.Mask.Dst, err = ctParseAddr("mask-dst", f.maskDst); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func newExpAddCommand(env *cli.Env) *cobra.Command {
	var f expFlags
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Create an expectation (conntrack -I expect)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			x, err := f.expect(true)
			if err != nil {
				return err
			}
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error { return c.CreateExpect(ctx, x) })
		},
	}
	f.register(cmd, true)
	return cmd
}

func newExpDelCommand(env *cli.Env) *cobra.Command {
	var f expFlags
	var all bool
	cmd := &cobra.Command{
		Use:   "del",
		Short: "Delete an expectation by its tuple, or all of them with --all (conntrack -D/-F expect)",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return ctRun(cmd, env, func(ctx context.Context, c *conntrack.Conn) error {
				if all {
					fam, err := ctParseFamily(f.ct.family)
					if err != nil {
						return err
					}
					return c.FlushExpects(ctx, fam, "")
				}
				x, err := f.expect(false)
				if err != nil {
					return err
				}
				return c.DeleteExpect(ctx, x)
			})
		},
	}
	f.register(cmd, false)
	cmd.Flags().BoolVar(&all, "all", false, "delete every expectation (of --family)")
	return cmd
}
