package main

import (
	"encoding/json"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/nlkit/nlkit/netfilter/conntrack"
	"github.com/spf13/cobra"
)

func newNfCommand(env *cli.Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "nf",
		Short: "Netfilter (nfnetlink) tools: monitor",
	}
	cmd.AddCommand(newNfMonitorCommand(env))
	return cmd
}

func newNfMonitorCommand(env *cli.Env) *cobra.Command {
	var count int
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Print conntrack flow and expectation events (nf-monitor)",
		Long: `monitor prints every conntrack event: new, updated and destroyed flows, and
new and destroyed expectations, one line each ("[NEW] tcp 6 ..." for a flow,
"[NEW] 300 proto=6 src=..." for an expectation), or one JSON object a line
with -j. --count N stops after N events.`,
		Args: cli.Args(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			groups := []uint32{conntrack.GroupNew, conntrack.GroupUpdate, conntrack.GroupDestroy,
				conntrack.GroupExpNew, conntrack.GroupExpDestroy}
			return ctRunEvents(cmd.Context(), env, groups, count)
		},
	}
	cmd.Flags().IntVarP(&count, "count", "c", 0, "stop after this many events")
	return cmd
}

// ctEventJSON prints an event as one JSON object:
// {"type":"NEW","flow":{...}} or {"type":"NEW","expect":{...}}.
func ctEventJSON(ev conntrack.Event) ([]byte, error) {
	return json.Marshal(ev)
}
