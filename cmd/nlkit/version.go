package main

import (
	"runtime"
	"runtime/debug"

	"github.com/nlkit/nlkit/cmd/internal/cli"
	"github.com/spf13/cobra"
)

// versionInfo is what `nlkit version` prints.
type versionInfo struct {
	Version  string `json:"version"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Revision string `json:"revision,omitempty"`
	Module   string `json:"module,omitempty"`
}

func newVersionCommand(env *cli.Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of nlkit and of Go it was built with",
		Args:  cli.Args(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			v := versionInfo{Version: env.Version, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
			if env.Details {
				if bi, ok := debug.ReadBuildInfo(); ok {
					v.Module = bi.Main.Path
					for _, s := range bi.Settings {
						if s.Key == "vcs.revision" {
							v.Revision = s.Value
						}
					}
				}
			}
			if env.JSON {
				return env.Out.JSON(v)
			}
			env.Out.Printf("nlkit %s (%s %s/%s)\n", v.Version, v.Go, v.OS, v.Arch)
			if v.Module != "" {
				env.Out.Printf("module %s\n", v.Module)
			}
			if v.Revision != "" {
				env.Out.Printf("revision %s\n", v.Revision)
			}
			return nil
		},
	}
}
