package main

import (
	"strconv"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/route"
	"github.com/spf13/cobra"
)

func newNSIDCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nsid",
		Short: "List, get and assign the IDs of peer network namespaces",
		Long: `nsid works with the IDs by which a network namespace (the current one, or
--netns) knows its peers, like "ip netns list-id" and "ip netns set":

  nlkit nsid list
  nlkit nsid get NAME|PATH       (a name under /run/netns, or a path)
  nlkit nsid set NAME|PATH ID|auto

-j prints JSON ({"nsid": N}).`,
	}
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"show", "ls"},
		Short:   "List the IDs assigned to peer namespaces",
		Args:    cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := objDial(env)
			if err != nil {
				return err
			}
			return cli.PrintList(env, c.NSIDIter(cmd.Context()),
				func(b []byte, n *route.NSID) []byte { return append(b, n.String()...) }, nil)
		},
	}
	get := &cobra.Command{
		Use:   "get NAME|PATH",
		Short: "Print the ID of a namespace (-1: none assigned)",
		Args:  cli.Args(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, peer, err := nsidOpen(env, args[0])
			if err != nil {
				return err
			}
			defer peer.Close()
			id, err := c.NSIDByFD(cmd.Context(), peer.FD())
			if err != nil {
				return err
			}
			if env.JSON {
				return env.Out.JSON(&route.NSID{ID: id})
			}
			env.Out.WriteString(strconv.Itoa(int(id)) + "\n")
			return nil
		},
	}
	set := &cobra.Command{
		Use:   "set NAME|PATH ID|auto",
		Short: "Assign an ID to a namespace",
		Args:  cli.Args(cobra.ExactArgs(2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := route.NSIDNotAssigned
			if args[1] != "auto" {
				v, err := strconv.ParseInt(args[1], 10, 32)
				if err != nil || v < 0 {
					return cli.Usagef("nsid set: invalid ID %q (a number from 0, or auto)", args[1])
				}
				id = int32(v)
			}
			c, peer, err := nsidOpen(env, args[0])
			if err != nil {
				return err
			}
			defer peer.Close()
			return c.NSIDSet(cmd.Context(), &route.NSID{ID: id, FD: peer.FD()})
		},
	}
	cmd.AddCommand(list, get, set)
	return cmd
}

// nsidOpen dials rtnetlink and opens the peer namespace named (a name
// under /run/netns, or a path); the caller closes the namespace.
func nsidOpen(env *cli.Env, name string) (*route.Conn, *core.NetNS, error) {
	c, err := objDial(env)
	if err != nil {
		return nil, nil, err
	}
	peer, err := core.NetNSFromNameOrPath(name)
	if err != nil {
		return nil, nil, err
	}
	return c, peer, nil
}
