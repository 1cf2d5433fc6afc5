package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNexthopKernelCapture(t *testing.T) {
	got := roRoundTrip[Nexthop](t, "nexthop_kernel.hex", func(a, b *Nexthop) []string { return a.Diff(b) })
	var res *Nexthop
	for i := range got {
		if got[i].ID == 21 {
			res = &got[i]
		}
	}
	require.NotNil(t, res)
	require.Equal(t, NexthopGroupResilient, res.GroupType)
	require.Equal(t, uint16(8), res.Resilient.Buckets)
}

func FuzzNexthopUnmarshal(f *testing.F) {
	roFuzzSeeds(f, "nexthop_kernel.hex")
	f.Fuzz(func(t *testing.T, data []byte) { roFuzz[Nexthop](data) })
}
