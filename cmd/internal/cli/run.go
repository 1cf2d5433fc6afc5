package cli

import (
	"errors"

	"github.com/spf13/cobra"
)

// Prepare sets up root as the command tree of env: the global flags as
// persistent flags, output to env.Out and env.Err, flag errors as
// UsageError, and cobra's own error and usage printing off (Run prints
// errors).
func Prepare(root *cobra.Command, env *Env) {
	env.Options.Register(root.PersistentFlags())
	root.SetOut(env.Out)
	root.SetErr(env.Err)
	root.SilenceErrors = true
	root.SilenceUsage = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &UsageError{Err: err}
	})
}

// Run executes root with args, closes what the verb opened, flushes the
// output, and prints an error if there was one. It returns the process
// exit code: 0, or 1 on any error.
func Run(root *cobra.Command, env *Env, args []string) int {
	root.SetArgs(args)
	err := root.Execute()
	if cerr := env.Close(); cerr != nil {
		err = errors.Join(err, cerr)
	}
	if ferr := env.Out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		PrintError(env.Err, root.Name(), err)
		return 1
	}
	return 0
}

// Args wraps a cobra argument check so that its complaint is printed as a
// usage error: cli.Args(cobra.ExactArgs(1)).
func Args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &UsageError{Err: err}
		}
		return nil
	}
}
