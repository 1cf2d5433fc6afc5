package core_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// nsInode is the nsfs inode of a namespace handle: two handles name the
// same namespace exactly when their inodes match.
func nsInode(t testing.TB, ns *core.NetNS) uint64 {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Fstat(ns.FD(), &st))
	return st.Ino
}

// pathInode is the inode of the namespace at path (/proc/.../ns/net).
func pathInode(t testing.TB, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	require.NoError(t, unix.Stat(path, &st))
	return st.Ino
}

// threadInode is the namespace of the calling OS thread; call it with the
// goroutine locked to its thread.
func threadInode(t testing.TB) uint64 { return pathInode(t, "/proc/thread-self/ns/net") }

// ipNetnsList returns the names `ip netns list` shows.
func ipNetnsList(t testing.TB) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	require.NoError(t, err, "%s", out)
	var names []string
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names
}

func TestCurrentNetNS(t *testing.T) {
	t.Parallel()
	nstest.Require(t)
	cur, err := core.CurrentNetNS()
	require.NoError(t, err)
	defer cur.Close()
	require.Equal(t, pathInode(t, "/proc/self/ns/net"), nsInode(t, cur))
	require.Equal(t, "", cur.Name())
}

// An anonymous namespace is new (not the caller's), has only its own
// loopback, and a socket dialled into it sees that.
func TestNewNetNSAnonymous(t *testing.T) {
	t.Parallel()
	nstest.Require(t)
	ns, err := core.NewNetNS()
	require.NoError(t, err)
	defer ns.Close()
	require.NotEqual(t, pathInode(t, "/proc/self/ns/net"), nsInode(t, ns))
	require.Equal(t, "", ns.Name())
	c := dialIn(t, ns, nil)
	require.Equal(t, []string{"lo"}, dumpLinkNames(t, c))
	require.NoError(t, ns.Close())
	// The socket keeps the namespace alive after the handle is closed.
	require.Equal(t, []string{"lo"}, dumpLinkNames(t, c))
}

// A named namespace appears in /run/netns and `ip netns list`, opens again
// by name and by path as the same namespace, and Delete removes it.
func TestNamedNetNSLifecycle(t *testing.T) {
	t.Parallel()
	nstest.Require(t)
	name := nstest.Name(t)
	ns, err := core.NewNamedNetNS(name)
	require.NoError(t, err)
	deleted := false
	t.Cleanup(func() {
		if !deleted {
			ns.Delete()
		}
	})
	require.Equal(t, name, ns.Name())
	require.Equal(t, filepath.Join(core.NetNSDir, name), ns.Path())
	require.Contains(t, ipNetnsList(t), name)

	_, err = core.NewNamedNetNS(name)
	require.ErrorIs(t, err, os.ErrExist, "the name is taken")
	_, err = core.NetNSByName("../etc")
	require.Error(t, err)

	byName, err := core.NetNSByName(name)
	require.NoError(t, err)
	defer byName.Close()
	byPath, err := core.NetNSByPath(ns.Path())
	require.NoError(t, err)
	defer byPath.Close()
	require.Equal(t, nsInode(t, ns), nsInode(t, byName))
	require.Equal(t, nsInode(t, ns), nsInode(t, byPath))

	// A link made with `ip -n NAME` is seen through a Conn dialled by
	// name or by path.
	out, err := exec.Command("ip", "-n", name, "link", "add", "nn0", "type", "veth", "peer", "name", "nn1").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.ElementsMatch(t, []string{"lo", "nn0", "nn1"}, dumpLinkNames(t, dialIn(t, byName, nil)))
	require.ElementsMatch(t, []string{"lo", "nn0", "nn1"}, dumpLinkNames(t, dialIn(t, byPath, nil)))

	require.NoError(t, ns.Delete())
	deleted = true
	require.NotContains(t, ipNetnsList(t), name)
	_, err = os.Stat(ns.Path())
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = core.NetNSByName(name)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// NetNSByPID finds the namespace of a process started in it with
// `ip netns exec`.
func TestNetNSByPID(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "pid0", "type", "veth", "peer", "name", "pid1")
	cmd := exec.Command("ip", "netns", "exec", ns.Name(), "sleep", "60")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	// `ip netns exec` enters the namespace and then execs sleep in the
	// same process; wait for the switch (a guard, not a timing check).
	want := nsInode(t, ns)
	var got uint64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		var st unix.Stat_t
		if unix.Stat("/proc/"+strconv.Itoa(pid)+"/ns/net", &st) == nil && st.Ino == want {
			got = st.Ino
			break
		}
	}
	require.Equal(t, want, got, "the child never entered the namespace")

	byPID, err := core.NetNSByPID(pid)
	require.NoError(t, err)
	defer byPID.Close()
	require.Equal(t, want, nsInode(t, byPID))
	require.ElementsMatch(t, []string{"lo", "pid0", "pid1"}, dumpLinkNames(t, dialIn(t, byPID, nil)))

	_, err = core.NetNSByPID(1 << 30)
	require.ErrorIs(t, err, os.ErrNotExist)
}

// A socket dialled into a namespace sees that namespace's links and none of
// the host's; one dialled with no namespace sees the host's and not the
// namespace's.
func TestDialSeesOnlyItsNamespace(t *testing.T) {
	t.Parallel()
	ns := nstest.New(t)
	nstest.Cmd(t, ns, "ip", "link", "add", "only0", "type", "veth", "peer", "name", "only1")
	inside := dumpLinkNames(t, dialIn(t, ns, nil))
	require.ElementsMatch(t, []string{"lo", "only0", "only1"}, inside)

	host, err := core.Dial(unix.NETLINK_ROUTE, nil)
	require.NoError(t, err)
	defer host.Close()
	hostNames := dumpLinkNames(t, host)
	require.NotContains(t, hostNames, "only0")
	ifs, err := net.Interfaces()
	require.NoError(t, err)
	for _, ifc := range ifs {
		require.Contains(t, hostNames, ifc.Name, "the host's links, as the net package sees them")
		if ifc.Name != "lo" {
			require.NotContains(t, inside, ifc.Name)
		}
	}
}

// Dial into a namespace leaves the calling thread in its own namespace,
// also with many Dials at once; and afterwards no thread of the process is
// in another namespace. Not parallel: other tests' Dials would be caught
// mid-switch by the last check.
func TestDialRestoresThreadNamespace(t *testing.T) {
	nstest.CheckLeaks(t)
	ns := nstest.New(t)
	host := pathInode(t, "/proc/self/ns/net")
	require.NotEqual(t, host, nsInode(t, ns))

	dialOnLockedThread := func() error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		before := threadInode(t)
		c, err := core.Dial(unix.NETLINK_ROUTE, &core.Config{NetNS: ns})
		if err != nil {
			return err
		}
		defer c.Close()
		if after := threadInode(t); after != before {
			return fmt.Errorf("the calling thread moved from namespace %d to %d", before, after)
		}
		// The socket is the namespace's.
		msgs, err := c.Execute(context.Background(), getLinkMsg("lo"))
		if err != nil {
			return err
		}
		if len(msgs) != 1 {
			return fmt.Errorf("get lo: %d messages", len(msgs))
		}
		return nil
	}
	require.NoError(t, dialOnLockedThread())

	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 64 {
		wg.Go(func() { errs <- dialOnLockedThread() })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Every thread of the process is in the host namespace.
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	for _, task := range tasks {
		var st unix.Stat_t
		if err := unix.Stat("/proc/self/task/"+task.Name()+"/ns/net", &st); err != nil {
			continue // the thread exited meanwhile
		}
		require.Equal(t, host, st.Ino, "thread %s", task.Name())
	}
}
