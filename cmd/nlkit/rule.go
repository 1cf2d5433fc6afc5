package main

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newRuleCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rule",
		Short: "List, add and delete policy routing rules",
		Long: `rule lists, adds and deletes policy routing rules with the arguments of
ip-rule(8):

  nlkit rule list [-4|-6]
  nlkit rule add from 192.0.2.0/24 table 100 priority 1000
  nlkit rule add not fwmark 0x10/0xff iif veth0 ipproto tcp dport 80 lookup 100 prio 5
  nlkit rule add prio 6 goto 1000
  nlkit rule add prio 7 table main suppress_prefixlength 0
  nlkit rule add prio 8 blackhole
  nlkit rule del priority 1000

Selectors: [not] from PREFIX, to PREFIX, tos T, fwmark M[/MASK], iif NAME,
oif NAME, uidrange A-B, ipproto P, sport N[-M], dport N[-M], tun_id N,
l3mdev. Actions: table|lookup T, goto N, nop, blackhole, unreachable,
prohibit (or type NAME); suppress_prefixlength N, suppress_ifgroup N,
realms N, protocol P, priority|pref|prio N. The family is the prefixes'
or -6 (IPv4 by default).

list prints one rule a line like "ip rule"; -j prints JSON with the field
names of "ip -j rule".`,
	}
	list := objListCommand(env, "list", "List rules", "IPv4 rules only", "IPv6 rules only", cli.Args(cobra.NoArgs),
		func(ctx context.Context, env *cli.Env, fam route.Family, _ []string) error {
			return runRuleList(ctx, env, fam)
		})
	cmd.AddCommand(list)
	for _, verb := range []string{"add", "del"} {
		var c6 bool
		sub := &cobra.Command{
			Use:   verb + " [selectors] [action]",
			Short: map[string]string{"add": "Add a rule", "del": "Delete the first rule that matches"}[verb],
			RunE: func(cmd *cobra.Command, args []string) error {
				r, err := ruleParse(args)
				if err != nil {
					return err
				}
				if c6 && r.Family == route.FamilyUnspec {
					r.Family = route.FamilyInet6
				}
				if r.Family == route.FamilyUnspec {
					r.Family = route.FamilyInet
				}
				c, err := objDial(env)
				if err != nil {
					return err
				}
				if verb == "add" {
					return c.RuleAdd(cmd.Context(), r)
				}
				return c.RuleDel(cmd.Context(), r)
			},
		}
		sub.Flags().BoolVarP(&c6, "ipv6", "6", false, "an IPv6 rule (when no prefix says so)")
		cmd.AddCommand(sub)
	}
	return cmd
}

func runRuleList(ctx context.Context, env *cli.Env, fam route.Family) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	return cli.PrintList(env, c.RuleIter(ctx, fam),
		func(b []byte, r *route.Rule) []byte { return append(b, r.String()...) }, nil)
}

// rulePrefix reads "all", an address or a prefix.
func ruleParsePrefix(s string) (netip.Prefix, error) {
	if s == "all" || s == "default" {
		return netip.Prefix{}, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, cli.Usagef("rule: invalid prefix %q", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, cli.Usagef("rule: invalid address %q", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ruleParse reads ip-rule(8) arguments.
func ruleParse(args []string) (*route.Rule, error) {
	r := &route.Rule{}
	a := &objArgs{args: args}
	for kw := range a.keywords() {
		var err error
		var v string
		switch kw {
		case "not":
			r.Invert = true
		case "from", "to":
			if v, err = a.value(kw); err == nil {
				var p netip.Prefix
				if p, err = ruleParsePrefix(v); err == nil {
					if kw == "from" {
						r.Src = p
					} else {
						r.Dst = p
					}
				}
			}
		case "tos", "dsfield":
			var n uint64
			n, err = objUint(a, kw, 8)
			r.TOS = uint8(n)
		case "fwmark":
			if v, err = a.value(kw); err == nil {
				mark, mask, hasMask := strings.Cut(v, "/")
				var m, k uint64
				m, err = strconv.ParseUint(mark, 0, 32)
				if err == nil && hasMask {
					k, err = strconv.ParseUint(mask, 0, 32)
				}
				if err != nil {
					err = cli.Usagef("rule: invalid fwmark %q", v)
				}
				r.Fwmark, r.Fwmask = uint32(m), uint32(k)
			}
		case "iif", "dev":
			r.IIF, err = a.value(kw)
		case "oif":
			r.OIF, err = a.value(kw)
		case "priority", "pref", "prio", "preference", "order":
			var n uint64
			n, err = objUint(a, kw, 32)
			r.Priority = uint32(n)
		case "table", "lookup":
			if v, err = a.value(kw); err == nil {
				r.Table, err = route.ParseTable(v)
				r.Action = route.RuleToTable
			}
		case "goto":
			var n uint64
			n, err = objUint(a, kw, 32)
			r.Goto, r.Action = uint32(n), route.RuleGoto
		case "nop", "blackhole", "unreachable", "prohibit":
			r.Action, err = route.ParseRuleAction(kw)
		case "type":
			if v, err = a.value(kw); err == nil {
				r.Action, err = route.ParseRuleAction(v)
			}
		case "uidrange", "sport", "dport":
			if v, err = a.value(kw); err == nil {
				var rr route.RuleRange
				if rr, err = route.ParseRuleRange(v); err == nil {
					switch kw {
					case "uidrange":
						r.UIDRange = &rr
					case "sport":
						r.SportRange = &rr
					default:
						r.DportRange = &rr
					}
				}
			}
		case "ipproto":
			if v, err = a.value(kw); err == nil {
				r.IPProto, err = route.ParseRuleIPProto(v)
			}
		case "suppress_prefixlength", "sup_pl":
			var n uint64
			n, err = objUint(a, kw, 32)
			x := uint32(n)
			r.SuppressPrefixLen = &x
		case "suppress_ifgroup", "sup_group":
			var n uint64
			n, err = objUint(a, kw, 32)
			x := uint32(n)
			r.SuppressIfgroup = &x
		case "realms", "flow":
			var n uint64
			n, err = objUint(a, kw, 32)
			r.Flow = uint32(n)
		case "tun_id":
			r.TunID, err = objUint(a, kw, 64)
		case "l3mdev":
			r.L3mdev = true
		case "protocol", "proto":
			if v, err = a.value(kw); err == nil {
				r.Protocol, err = route.ParseProtocol(v)
			}
		default:
			return nil, cli.Usagef("rule: unknown argument %q", kw)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, p := range []netip.Prefix{r.Src, r.Dst} {
		if p.IsValid() {
			if p.Addr().Is4() {
				r.Family = route.FamilyInet
			} else {
				r.Family = route.FamilyInet6
			}
		}
	}
	return r, nil
}
