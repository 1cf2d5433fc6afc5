package route

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNeightblKernelCapture(t *testing.T) {
	got := roRoundTrip[Neightbl](t, "neightbl_kernel.hex", func(a, b *Neightbl) []string { return a.Diff(b) })
	var tables int
	for i := range got {
		if got[i].Config != nil {
			tables++
			require.NotNil(t, got[i].Stats)
			require.NotZero(t, got[i].Thresh3)
		}
	}
	require.GreaterOrEqual(t, tables, 2, "arp_cache and ndisc_cache")
}

func FuzzNeightblUnmarshal(f *testing.F) {
	roFuzzSeeds(f, "neightbl_kernel.hex")
	f.Fuzz(func(t *testing.T, data []byte) { roFuzz[Neightbl](data) })
}
