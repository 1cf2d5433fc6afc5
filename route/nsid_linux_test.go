package route

import (
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/nlkit/nlkit/core"
	"github.com/nlkit/nlkit/core/nstest"
	"github.com/stretchr/testify/require"
)

func TestNSIDGetSetList(t *testing.T) {
	t.Parallel()
	a := nstest.New(t)
	b := nstest.New(t)
	cns := nstest.New(t)
	ctx := roTestCtx(t)
	c, err := Dial(&core.Config{NetNS: a})
	require.NoError(t, err)
	defer c.Close()

	id, err := c.NSIDByFD(ctx, b.FD())
	require.NoError(t, err)
	require.Equal(t, NSIDNotAssigned, id)

	// nlkit assigns, ip shows.
	require.NoError(t, c.NSIDSet(ctx, &NSID{ID: 5, FD: b.FD()}))
	var ids []struct {
		NSID int32  `json:"nsid"`
		Name string `json:"name"`
	}
	roTestJSON(t, a, &ids, "ip", "-j", "netns", "list-id")
	require.Len(t, ids, 1)
	require.Equal(t, int32(5), ids[0].NSID)
	require.Equal(t, b.Name(), ids[0].Name)

	id, err = c.NSIDByFD(ctx, b.FD())
	require.NoError(t, err)
	require.Equal(t, int32(5), id)

	err = c.NSIDSet(ctx, &NSID{ID: 6, FD: b.FD()})
	require.ErrorIs(t, err, fs.ErrExist)
	require.Contains(t, err.Error(), "nsid set fd")

	// ip assigns, nlkit reads, by fd and by the pid of a process there.
	out, err := exec.Command("ip", "-n", a.Name(), "netns", "set", cns.Name(), "9").CombinedOutput()
	require.NoError(t, err, string(out))
	id, err = c.NSIDByFD(ctx, cns.FD())
	require.NoError(t, err)
	require.Equal(t, int32(9), id)

	sleep := exec.Command("ip", "netns", "exec", cns.Name(), "sleep", "30")
	require.NoError(t, sleep.Start())
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	var pid int
	for range 100 {
		// ip netns exec execs sleep in the same process once it is in
		// the namespace.
		if l, _ := os.Readlink("/proc/" + itoaPID(sleep.Process.Pid) + "/exe"); strings.HasSuffix(l, "sleep") {
			pid = sleep.Process.Pid
			break
		}
		exec.Command("sleep", "0.02").Run()
	}
	require.NotZero(t, pid)
	id, err = c.NSIDByPID(ctx, pid)
	require.NoError(t, err)
	require.Equal(t, int32(9), id)

	// The kernel picks an ID.
	d := nstest.New(t)
	require.NoError(t, c.NSIDSet(ctx, &NSID{ID: NSIDNotAssigned, FD: d.FD()}))
	picked, err := c.NSIDByFD(ctx, d.FD())
	require.NoError(t, err)
	require.GreaterOrEqual(t, picked, int32(0))

	list, err := c.NSIDs(ctx)
	require.NoError(t, err)
	var got []int32
	for _, n := range list {
		got = append(got, n.ID)
	}
	require.ElementsMatch(t, []int32{5, 9, picked}, got)
	var n int
	for x, err := range c.NSIDIter(ctx) {
		require.NoError(t, err)
		require.Contains(t, got, x.ID)
		n++
	}
	require.Equal(t, 3, n)
	require.Equal(t, "nsid 5", (&NSID{ID: 5}).String())

	require.ErrorIs(t, c.NSIDSet(ctx, &NSID{ID: -7, FD: d.FD()}), errNSIDNegative)
}

func itoaPID(p int) string { return roItoa(int32(p)) }
