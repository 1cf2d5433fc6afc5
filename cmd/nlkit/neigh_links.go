package main

import (
	"context"
	"encoding/json"
	"iter"
	"strconv"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// Helpers of the neigh, neightbl, rule, nexthop, netconf and nsid verbs
// (prefix obj).

// objDial opens a route socket as the global options say.
func objDial(env *cli.Env) (*route.Conn, error) {
	c, err := env.Dial(unix.NETLINK_ROUTE)
	if err != nil {
		return nil, err
	}
	return route.NewConn(c), nil
}

// objLinkIndex resolves a link name with one RTM_GETLINK by name, with
// ip's "cannot find device" message.
func objLinkIndex(ctx context.Context, c *route.Conn, name string) (int32, error) {
	i, err := ifIndex(ctx, c, name)
	if err != nil {
		return 0, core.WithOp(err, "cannot find device \""+name+"\"")
	}
	return i, nil
}

// objLink reads the link name after keyword kw and resolves it.
func objLink(ctx context.Context, c *route.Conn, a *objArgs, kw string) (int32, error) {
	v, err := a.value(kw)
	if err != nil {
		return 0, err
	}
	return objLinkIndex(ctx, c, v)
}

// objJSON marshals v and adds the link names of the ifindexes in names
// (JSON key to ifindex) as string fields in front, the way `ip -j` shows
// "dev": "veth0".
func objJSON(v any, links ifNames, names ...objName) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var pre []byte
	for _, n := range names {
		if n.index == 0 || links[n.index] == "" {
			continue
		}
		pre = strconv.AppendQuote(pre, n.key)
		pre = append(pre, ':')
		pre = strconv.AppendQuote(pre, links[n.index])
		pre = append(pre, ',')
	}
	if len(pre) == 0 || len(b) < 2 || b[0] != '{' {
		return b, nil
	}
	if b[1] == '}' {
		pre = pre[:len(pre)-1]
	}
	out := append([]byte{'{'}, pre...)
	return append(out, b[1:]...), nil
}

// objName names one link field to add to JSON.
type objName struct {
	key   string
	index int32
}

// objArgs walks ip(8)-style arguments: keywords, some with a value.
type objArgs struct {
	args []string
	i    int
}

// next returns the next argument, or "" at the end.
func (a *objArgs) next() (string, bool) {
	if a.i >= len(a.args) {
		return "", false
	}
	a.i++
	return a.args[a.i-1], true
}

// keywords yields the arguments left, one at a time; the loop body may
// take values with value, which the next step skips.
func (a *objArgs) keywords() iter.Seq[string] {
	return func(yield func(string) bool) {
		for a.i < len(a.args) {
			a.i++
			if !yield(a.args[a.i-1]) {
				return
			}
		}
	}
}

// value returns the value after keyword kw, or a usage error.
func (a *objArgs) value(kw string) (string, error) {
	v, ok := a.next()
	if !ok {
		return "", cli.Usagef("%q needs a value", kw)
	}
	return v, nil
}

// objUint reads a number after keyword kw.
func objUint(a *objArgs, kw string, bits int) (uint64, error) {
	v, err := a.value(kw)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 0, bits)
	if err != nil {
		return 0, cli.Usagef("%s: invalid number %q", kw, v)
	}
	return n, nil
}

// objFamily reads -4/-6 flags into a family.
func objFamily(v4, v6 bool) (route.Family, error) {
	switch {
	case v4 && v6:
		return 0, cli.Usagef("-4 and -6 together: leave both out for both families")
	case v4:
		return route.FamilyInet, nil
	case v6:
		return route.FamilyInet6, nil
	}
	return route.FamilyUnspec, nil
}

// objListCommand is the list verb of the ip(8)-like commands: use
// (aliases show and ls) with -4 and -6 (v4 and v6 are their help), which
// calls run with the family they select and the arguments; args, if not
// nil, checks the arguments.
func objListCommand(env *cli.Env, use, short, v4, v6 string, args cobra.PositionalArgs,
	run func(ctx context.Context, env *cli.Env, fam route.Family, args []string) error) *cobra.Command {
	var f4, f6 bool
	list := &cobra.Command{
		Use:     use,
		Aliases: []string{"show", "ls"},
		Short:   short,
		Args:    args,
		RunE: func(cmd *cobra.Command, args []string) error {
			fam, err := objFamily(f4, f6)
			if err != nil {
				return err
			}
			return run(cmd.Context(), env, fam, args)
		},
	}
	list.Flags().BoolVarP(&f4, "ipv4", "4", false, v4)
	list.Flags().BoolVarP(&f6, "ipv6", "6", false, v6)
	return list
}

// objChangeCommand is a verb that changes objects (add, replace, del):
// "VERB ARGS", at least one argument, run with the verb and arguments.
func objChangeCommand(env *cli.Env, verb, args, short string,
	run func(ctx context.Context, env *cli.Env, verb string, args []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " " + args,
		Short: short,
		Args:  cli.Args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			return run(cmd.Context(), env, verb, args)
		},
	}
}
