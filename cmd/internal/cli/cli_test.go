package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testRoot is a command tree with one verb, run, that returns err and
// prints what it saw of the options.
func testRoot(env *Env, err error) *cobra.Command {
	root := &cobra.Command{Use: "nlkit"}
	Prepare(root, env)
	root.AddCommand(&cobra.Command{
		Use:  "run",
		Args: Args(cobra.MaximumNArgs(1)),
		RunE: func(*cobra.Command, []string) error {
			env.Out.Printf("netns=%q json=%v details=%v debug=%v\n", env.NetNS, env.JSON, env.Details, env.Debug)
			return err
		},
	})
	return root
}

func execute(err error, args ...string) (stdout, stderr string, code int) {
	var o, e bytes.Buffer
	env := NewEnv(&o, &e)
	code = Run(testRoot(env, err), env, args)
	return o.String(), e.String(), code
}

func TestGlobalFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, `netns="" json=false details=false debug=false`},
		{[]string{"run", "-j"}, `netns="" json=true details=false debug=false`},
		{[]string{"-j", "run"}, `netns="" json=true details=false debug=false`},
		{[]string{"run", "-jd"}, `netns="" json=true details=true debug=false`},
		{[]string{"--json", "--details", "--debug", "run"}, `netns="" json=true details=true debug=true`},
		{[]string{"--netns", "blue", "run"}, `netns="blue" json=false details=false debug=false`},
		{[]string{"run", "--netns=/proc/1/ns/net"}, `netns="/proc/1/ns/net" json=false details=false debug=false`},
	} {
		out, errOut, code := execute(nil, tc.args...)
		require.Zero(t, code, "%v: %s", tc.args, errOut)
		require.Equal(t, tc.want+"\n", out, "%v", tc.args)
		require.Empty(t, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--bogus"}, "nlkit: unknown flag: --bogus\n"},
		{[]string{"--netns"}, "nlkit: flag needs an argument: --netns\n"},
		{[]string{"run", "a", "b"}, "nlkit: accepts at most 1 arg(s), received 2\n"},
		{[]string{"nosuch"}, "nlkit: unknown command \"nosuch\" for \"nlkit\"\n"},
	} {
		out, errOut, code := execute(nil, tc.args...)
		require.Equal(t, 1, code, "%v", tc.args)
		require.Empty(t, out, "%v", tc.args)
		require.Equal(t, tc.want+"Run 'nlkit --help' for usage.\n", errOut, "%v", tc.args)
	}
}

func TestErrorPrinting(t *testing.T) {
	// A kernel error prints as its Error text: op, errno, extended ACK.
	kerr := &core.Error{Op: "create link x", Errno: unix.EOPNOTSUPP, Message: "Unknown device type"}
	out, errOut, code := execute(kerr, "run")
	require.Equal(t, 1, code)
	require.Contains(t, out, "netns=", "what was printed before the error is flushed")
	require.Equal(t, "nlkit: create link x: operation not supported: Unknown device type\n", errOut)

	// A wrapped one too.
	_, errOut, _ = execute(fmt.Errorf("link add: %w", kerr), "run")
	require.Equal(t, "nlkit: link add: create link x: operation not supported: Unknown device type\n", errOut)

	_, errOut, code = execute(errors.New("plain"), "run")
	require.Equal(t, 1, code)
	require.Equal(t, "nlkit: plain\n", errOut)
}

func TestPermissionHint(t *testing.T) {
	var b bytes.Buffer
	PrintError(&b, "nlkit", &core.Error{Op: "add route", Errno: unix.EPERM})
	require.Contains(t, b.String(), "nlkit: add route: operation not permitted\n")
	require.True(t, errors.Is(&core.Error{Errno: unix.EPERM}, fs.ErrPermission))
	// The hint is for users without root; as root there is nothing to add.
	if unix.Geteuid() == 0 {
		require.Equal(t, "nlkit: add route: operation not permitted\n", b.String())
	} else {
		require.Contains(t, b.String(), "needs root")
	}
}

func TestHelp(t *testing.T) {
	out, errOut, code := execute(nil, "--help")
	require.Zero(t, code, errOut)
	for _, want := range []string{"run", "--netns NAME|PATH", "-j, --json", "-d, --details", "--debug"} {
		require.Contains(t, out, want)
	}
}

func TestConfig(t *testing.T) {
	env := NewEnv(&bytes.Buffer{}, &bytes.Buffer{})
	cfg, err := env.Config(unix.NETLINK_ROUTE)
	require.NoError(t, err)
	require.Nil(t, cfg.NetNS)
	require.Nil(t, cfg.Trace)

	env.Debug = true
	cfg, err = env.Config(unix.NETLINK_ROUTE)
	require.NoError(t, err)
	require.Equal(t, env.Err, cfg.Trace)
	require.NotNil(t, cfg.Formatter)
	require.Equal(t, "IFLA_IFNAME", cfg.Formatter.AttrName(unix.RTM_NEWLINK, []uint16{unix.IFLA_IFNAME}))

	env.NetNS = "nlkit-no-such-namespace"
	_, err = env.Config(unix.NETLINK_ROUTE)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.ErrorContains(t, err, "/run/netns/nlkit-no-such-namespace")
	_, err = env.Dial(unix.NETLINK_ROUTE)
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.NoError(t, env.Close())
}
