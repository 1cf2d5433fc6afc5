package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIfNames(t *testing.T) {
	l := ifNames{1: "lo", 7: "veth0"}
	require.Equal(t, "veth0", l.name(7))
	require.Equal(t, "veth0", l.uname(7))
	require.Equal(t, "", l.name(3))
	i, ok := l.index("veth0")
	require.True(t, ok)
	require.Equal(t, int32(7), i)
	_, ok = l.index("nosuch0")
	require.False(t, ok)

	r := &routeLinks{names: l}
	idx, err := r.lookup("if12")
	require.NoError(t, err)
	require.Equal(t, uint32(12), idx, `"ifN" is a bare index, as ip takes it`)
	_, err = r.lookup("nosuch0")
	require.EqualError(t, err, `cannot find device "nosuch0"`)
}
