package route

import (
	"io/fs"
	"net/netip"
	"runtime"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// roWithoutNetAdmin runs fn on a thread in ns that has dropped
// CAP_NET_ADMIN, with a route socket it opened there. The kernel checks
// the sender's capabilities when the request arrives (and, for a socket
// sent to without an address, the opener's), so fn's requests that
// change state are refused. The thread is locked and never unlocked: it
// dies with the goroutine, and its reduced capabilities never reach
// another goroutine.
func roWithoutNetAdmin(t *testing.T, ns *core.NetNS, fn func(c *Conn)) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread exits with us
		if err := unix.Setns(ns.FD(), unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
		var data [2]unix.CapUserData
		if err := unix.Capget(&hdr, &data[0]); err != nil {
			done <- err
			return
		}
		drop := uint32(1) << unix.CAP_NET_ADMIN
		data[0].Effective &^= drop
		data[0].Permitted &^= drop
		data[0].Inheritable &^= drop
		if err := unix.Capset(&hdr, &data[0]); err != nil {
			done <- err
			return
		}
		c, err := Dial(nil)
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		fn(c)
		done <- nil
	}()
	require.NoError(t, <-done)
}

func TestRouteObjectsNeedNetAdmin(t *testing.T) {
	t.Parallel()
	ns, c := roTestNS(t)
	ctx := roTestCtx(t)
	veth0 := roTestIfindex(t, ns, "veth0")
	var errs [5]error
	roWithoutNetAdmin(t, ns, func(weak *Conn) {
		// Reading needs no capability.
		_, errs[0] = weak.Neighs(ctx, nil)
		_, errs[1] = weak.Rules(ctx, FamilyInet)
		errs[2] = weak.NeighAdd(ctx, &Neigh{Ifindex: veth0, Dst: netip.MustParseAddr("192.0.2.9"), LLAddr: []byte{2, 0, 0, 0, 0, 9}})
		errs[3] = weak.RuleAdd(ctx, &Rule{Src: netip.MustParsePrefix("192.0.2.0/24"), Table: 100})
		errs[4] = weak.NexthopAdd(ctx, &Nexthop{ID: 1, Gateway: netip.MustParseAddr("192.0.2.2"), Ifindex: veth0})
	})
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.ErrorIs(t, errs[2], fs.ErrPermission)
	require.ErrorIs(t, errs[2], unix.EPERM)
	require.Contains(t, errs[2].Error(), "neigh add 192.0.2.9")
	require.ErrorIs(t, errs[3], fs.ErrPermission)
	require.ErrorIs(t, errs[4], fs.ErrPermission)

	// Nothing changed.
	list, err := c.Neighs(ctx, &NeighFilter{Family: FamilyInet, Ifindex: veth0})
	require.NoError(t, err)
	require.Nil(t, neighFind(list, "192.0.2.9"))
}
