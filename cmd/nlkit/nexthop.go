package main

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newNexthopCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nexthop",
		Short: "List, add and delete nexthop objects and groups",
		Long: `nexthop lists, adds, replaces and deletes nexthop objects with the arguments
of ip-nexthop(8):

  nlkit nexthop list [dev NAME] [master NAME] [groups] [fdb] [id N] [-4|-6]
  nlkit nexthop add id 10 via 192.0.2.2 dev veth0
  nlkit nexthop add id 11 blackhole
  nlkit nexthop add id 12 via 2001:db8::2 dev veth0 onlink
  nlkit nexthop add id 20 group 10,3/12
  nlkit nexthop add id 21 group 10/12 type resilient buckets 8 idle_timer 60
  nlkit nexthop add id 40 via 192.0.2.7 fdb
  nlkit nexthop replace id 10 via 192.0.2.4 dev veth0
  nlkit nexthop del id 10

The kernel filters the list (dev, master, groups, family); "id N" gets one
nexthop. list prints one nexthop a line like "ip nexthop"; -j prints JSON
with the field names of "ip -j nexthop".`,
	}
	list := objListCommand(env, "list [dev NAME] [master NAME] [groups] [fdb] [id N]", "List nexthops",
		"IPv4 nexthops only", "IPv6 nexthops only", nil, runNexthopList)
	change := func(verb, short string) *cobra.Command {
		return objChangeCommand(env, verb, "id N [via ADDRESS] [dev NAME] [blackhole] [onlink] [fdb] [group ID[,WEIGHT]/...] [type resilient ...]",
			short, runNexthopChange)
	}
	cmd.AddCommand(list,
		change("add", "Add a nexthop"),
		change("replace", "Add a nexthop, or replace the one with the same ID"),
		change("del", "Delete a nexthop"))
	return cmd
}

func runNexthopList(ctx context.Context, env *cli.Env, fam route.Family, args []string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	f := &route.NexthopFilter{Family: fam}
	var id uint32
	a := &objArgs{args: args}
	for kw := range a.keywords() {
		switch kw {
		case "dev", "master":
			i, err := objLink(ctx, c, a, kw)
			if err != nil {
				return err
			}
			if kw == "dev" {
				f.Ifindex = i
			} else {
				f.Master = i
			}
		case "groups":
			f.GroupsOnly = true
		case "fdb":
			f.FDB = true
		case "id":
			n, err := objUint(a, kw, 32)
			if err != nil {
				return err
			}
			id = uint32(n)
		default:
			return cli.Usagef("nexthop list: unknown argument %q", kw)
		}
	}
	links, err := ifNamesDump(ctx, c)
	if err != nil {
		return err
	}
	seq := c.NexthopIter(ctx, f)
	if id != 0 {
		seq = cli.One(c.Nexthop(ctx, id))
	}
	return cli.PrintList(env, seq,
		func(b []byte, nh *route.Nexthop) []byte { return append(b, nh.Format(links.name)...) },
		func(nh *route.Nexthop) (any, error) { return objJSON(nh, links, objName{"dev", nh.Ifindex}) })
}

func runNexthopChange(ctx context.Context, env *cli.Env, verb string, args []string) error {
	c, err := objDial(env)
	if err != nil {
		return err
	}
	nh, err := nexthopParse(ctx, c, args)
	if err != nil {
		return err
	}
	switch verb {
	case "add":
		return c.NexthopAdd(ctx, nh)
	case "replace":
		return c.NexthopReplace(ctx, nh)
	}
	if nh.ID == 0 {
		return cli.Usagef("nexthop del: id N is required")
	}
	return c.NexthopDel(ctx, nh.ID)
}

// nexthopParseGroup reads "10,3/12".
func nexthopParseGroup(s string) ([]route.NexthopGroupMember, error) {
	var out []route.NexthopGroupMember
	for _, part := range strings.Split(s, "/") {
		id, w, hasW := strings.Cut(part, ",")
		n, err := strconv.ParseUint(id, 0, 32)
		if err != nil {
			return nil, cli.Usagef("nexthop: invalid group member %q", part)
		}
		m := route.NexthopGroupMember{ID: uint32(n)}
		if hasW {
			v, err := strconv.ParseUint(w, 0, 32)
			if err != nil || v == 0 || v > 1<<16 {
				return nil, cli.Usagef("nexthop: invalid weight %q", w)
			}
			m.Weight = uint32(v)
		}
		out = append(out, m)
	}
	return out, nil
}

// nexthopParse reads ip-nexthop(8) arguments.
func nexthopParse(ctx context.Context, c *route.Conn, args []string) (*route.Nexthop, error) {
	nh := &route.Nexthop{}
	a := &objArgs{args: args}
	res := func() *route.NexthopResilient {
		if nh.Resilient == nil {
			nh.Resilient = &route.NexthopResilient{}
		}
		return nh.Resilient
	}
	for kw := range a.keywords() {
		var err error
		var v string
		var n uint64
		switch kw {
		case "id":
			n, err = objUint(a, kw, 32)
			nh.ID = uint32(n)
		case "via":
			if v, err = a.value(kw); err == nil {
				if nh.Gateway, err = netip.ParseAddr(v); err != nil {
					err = cli.Usagef("nexthop: invalid gateway %q", v)
				}
			}
		case "dev":
			nh.Ifindex, err = objLink(ctx, c, a, kw)
		case "blackhole":
			nh.Blackhole = true
		case "onlink":
			nh.Flags |= route.NexthopOnlink
		case "fdb":
			nh.FDB = true
		case "group":
			if v, err = a.value(kw); err == nil {
				nh.Group, err = nexthopParseGroup(v)
			}
		case "type":
			if v, err = a.value(kw); err == nil {
				switch v {
				case "mpath":
					nh.GroupType = route.NexthopGroupMultipath
				case "resilient":
					nh.GroupType = route.NexthopGroupResilient
					res()
				default:
					err = cli.Usagef("nexthop: unknown group type %q", v)
				}
			}
		case "buckets":
			n, err = objUint(a, kw, 16)
			res().Buckets = uint16(n)
		case "idle_timer":
			n, err = objUint(a, kw, 32)
			res().IdleTimer = time.Duration(n) * time.Second
		case "unbalanced_timer":
			n, err = objUint(a, kw, 32)
			res().UnbalancedTimer = time.Duration(n) * time.Second
		case "protocol", "proto":
			if v, err = a.value(kw); err == nil {
				nh.Protocol, err = route.ParseProtocol(v)
			}
		case "-4":
			nh.Family = route.FamilyInet
		case "-6":
			nh.Family = route.FamilyInet6
		default:
			return nil, cli.Usagef("nexthop: unknown argument %q", kw)
		}
		if err != nil {
			return nil, err
		}
	}
	return nh, nil
}
