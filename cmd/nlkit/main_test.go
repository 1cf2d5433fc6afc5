package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// nlkit runs the CLI in-process, as main would, and returns what it
// printed and its exit code.
func nlkit(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

func TestVersion(t *testing.T) {
	out, errOut, code := nlkit(t, "version")
	require.Zero(t, code, errOut)
	require.Equal(t, "nlkit "+version+" ("+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH+")\n", out)

	for _, args := range [][]string{{"version", "-j"}, {"-j", "version"}, {"--json", "version"}} {
		out, errOut, code = nlkit(t, args...)
		require.Zero(t, code, errOut)
		var v struct {
			Version, Go, OS, Arch string
		}
		require.NoError(t, json.Unmarshal([]byte(out), &v), "%v: %s", args, out)
		require.Equal(t, version, v.Version)
		require.Equal(t, runtime.Version(), v.Go)
		require.Equal(t, runtime.GOOS, v.OS)
		require.Equal(t, runtime.GOARCH, v.Arch)
	}

	_, errOut, code = nlkit(t, "version", "extra")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "unknown command \"extra\"")
}

func TestHelpListsVerbs(t *testing.T) {
	out, errOut, code := nlkit(t, "--help")
	require.Zero(t, code, errOut)
	for _, v := range verbs() {
		cmd := v(nil)
		require.Contains(t, out, "  "+cmd.Name()+" ", "verb %s missing from help", cmd.Name())
		require.NotEmpty(t, cmd.Short, cmd.Name())
	}
	require.Contains(t, out, "--netns NAME|PATH")

	// With no verb, nlkit prints its help too.
	out2, _, code := nlkit(t)
	require.Zero(t, code)
	require.Equal(t, out, out2)
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{{"nosuch"}, {"--bogus", "version"}, {"demo", "extra"}, {"--netns"}} {
		out, errOut, code := nlkit(t, args...)
		require.Equal(t, 1, code, "%v", args)
		require.Empty(t, out, "%v", args)
		require.Regexp(t, `^nlkit: .+\nRun 'nlkit --help' for usage.\n$`, errOut, "%v", args)
	}
}

func TestNetNSNotFound(t *testing.T) {
	for _, ns := range []string{"nlkit-no-such-ns", "/nonexistent/ns"} {
		out, errOut, code := nlkit(t, "--netns", ns, "demo")
		require.Equal(t, 1, code)
		require.Empty(t, out)
		require.Contains(t, errOut, "open network namespace")
		require.Contains(t, errOut, "no such file or directory")
	}
}

func TestNeedsRoot(t *testing.T) {
	err := needsRoot(&fs.PathError{Op: "setns", Path: "x", Err: unix.EPERM})
	require.ErrorContains(t, err, "demo needs root")
	require.ErrorContains(t, err, "operation not permitted")
	other := errors.New("other")
	require.Equal(t, other, needsRoot(other))
}
