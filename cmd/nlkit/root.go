package main

import (
	"io"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/spf13/cobra"
)

// verbs are nlkit's commands. To add one, write a file with a
// func(*cli.Env) *cobra.Command (its RunE gets sockets from env.Dial and
// prints to env.Out) and list the function here.
func verbs() []func(*cli.Env) *cobra.Command {
	return []func(*cli.Env) *cobra.Command{
		newDemoCommand,
		newLinkCommand,
		newAddrCommand,
		newRouteCommand,
		newMonitorCommand,
		newGenlCommand,
		newEthtoolCommand,
		newNetdevCommand,
		newLogCommand,
		newQueueCommand,
		newCtCommand,
		newExpCommand,
		newNfCommand,
		newNeighCommand,
		newNeightblCommand,
		newRuleCommand,
		newNexthopCommand,
		newNetconfCommand,
		newNSIDCommand,
		newVersionCommand,
	}
}

// newRoot builds the command tree around env.
func newRoot(env *cli.Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "nlkit",
		Short: "Talk netlink to the Linux kernel",
		Long: `nlkit talks netlink to the Linux kernel: the command-line face of the nlkit
Go SDK. Start with "nlkit demo" (as root): it builds links, addresses and
routes in a throwaway network namespace and shows the messages that did it.`,
	}
	root.CompletionOptions.HiddenDefaultCmd = true
	cli.Prepare(root, env)
	for _, v := range verbs() {
		root.AddCommand(v(env))
	}
	return root
}

// run is main without the exit: it runs nlkit with args and returns the
// exit code. Tests call it.
func run(args []string, stdout, stderr io.Writer) int {
	env := cli.NewEnv(stdout, stderr)
	env.Version = version
	return cli.Run(newRoot(env), env, args)
}
