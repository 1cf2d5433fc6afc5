package main

import (
	"context"
	"errors"
	"strconv"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

func newMonitorCommand(env *cli.Env) *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "monitor [link] [addr] [route] [neigh] [rule] [nexthop] [netconf] [nsid] [all|GROUP...]",
		Short: "Print the kernel's link, address, route, ... notifications as they happen",
		Long: `monitor watches rtnetlink notifications and prints one line an event, as
"ip monitor" does: the kind in brackets ([LINK], [ADDR], [ROUTE], [NEIGH],
[RULE], [NEXTHOP], [NETCONF], [NSID]), "Deleted" before a deletion, then
the object. -j prints one JSON object a line:
{"event":"new"|"del","kind":"ADDR","msg_type":20,"group":"ipv4-addr","object":{...}}.

With no arguments it watches all of the kinds above. A kind names both
families ("addr" is ipv4-addr and ipv6-addr); single groups are named too
(ipv4-route, ipv6-rule, ipv6-prefix, ...), or given by number.

It runs until interrupted, or until --count events were printed. When the
socket's queue overflows, events were lost: a line [OVERRUN] says so
({"event":"overrun"} with -j); a program mirroring the kernel's state
dumps again then.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if count < 0 {
				return cli.Usagef("--count must not be negative")
			}
			var groups []route.Group
			for _, a := range args {
				gs, err := route.ParseGroups(a)
				if err != nil {
					return cli.Usagef("%v", err)
				}
				groups = append(groups, gs...)
			}
			ctx, stop := cli.Interruptible(cmd.Context())
			defer stop()
			return runMonitor(ctx, env, groups, count)
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 0, "exit after `N` events (0: run until interrupted)")
	return cmd
}

// runMonitor watches groups (all the usual ones when empty) and prints
// events until ctx ends or count events were printed.
func runMonitor(ctx context.Context, env *cli.Env, groups []route.Group, count int) error {
	cfg, err := env.Config(unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	w, err := route.Watch(cfg, groups...)
	if err != nil {
		return err
	}
	defer w.Close()
	c, err := objDial(env)
	if err != nil {
		return err
	}
	names, err := ifNamesDump(ctx, c)
	if err != nil {
		return err
	}
	// An event that failed to decode is printed raw, with the error on
	// stderr; only a failure with no message at all ends the watch.
	events := func(yield func(route.Event, error) bool) {
		for ev, err := range w.Events(ctx) {
			if err != nil && ev.MsgType != 0 && ctx.Err() == nil && !errors.Is(err, core.ErrOverrun) {
				env.Err.Write([]byte("nlkit: " + err.Error() + "\n"))
				err = nil
			}
			if !yield(ev, err) {
				return
			}
		}
	}
	return cli.PrintEvents(ctx, env, events, count, func(ev route.Event) error { return monitorPrint(env, &ev, names) })
}

// monitorPrint prints one event, naming links from names, which it keeps
// up to date from link events.
func monitorPrint(env *cli.Env, ev *route.Event, names map[int32]string) error {
	if l, ok := ev.Object.(*route.Link); ok && l.Name != "" {
		names[l.Index] = l.Name
	}
	if env.JSON {
		b, err := ev.MarshalJSON()
		if err != nil {
			return err
		}
		env.Out.Write(append(b, '\n'))
		return nil
	}
	env.Out.WriteString(monitorLine(ev, names))
	env.Out.WriteString("\n")
	return nil
}

// monitorLine is an event's line, with interface names where the object
// can print them.
func monitorLine(ev *route.Event, names map[int32]string) string {
	prefix := "[" + ev.Kind() + "] "
	if ev.Type == route.EventDel {
		prefix += "Deleted "
	}
	name := func(i int32) string {
		if n, ok := names[i]; ok {
			return n
		}
		return "if" + strconv.Itoa(int(i))
	}
	switch o := ev.Object.(type) {
	case *route.Link:
		return prefix + o.Format(func(i int32) string { return names[i] })
	case *route.Addr:
		return prefix + addrLine(o, names[o.Index])
	case *route.Route:
		return prefix + string(o.AppendText(nil, func(i uint32) string { return name(int32(i)) }))
	case *route.Neigh:
		return prefix + o.Format(name)
	case *route.Nexthop:
		return prefix + o.Format(name)
	case *route.Netconf:
		return prefix + o.Format(name)
	}
	return ev.String()
}
