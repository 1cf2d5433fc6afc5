package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestObjArgsKeywords(t *testing.T) {
	a := &objArgs{args: []string{"dev", "veth0", "proxy", "vlan", "7", "name"}}
	var got []string
	for kw := range a.keywords() {
		switch kw {
		case "dev":
			v, err := a.value(kw)
			require.NoError(t, err)
			got = append(got, kw+"="+v)
		case "vlan":
			n, err := objUint(a, kw, 16)
			require.NoError(t, err)
			require.Equal(t, uint64(7), n)
			got = append(got, kw)
		case "name":
			_, err := a.value(kw)
			require.ErrorContains(t, err, `"name" needs a value`)
			got = append(got, kw)
		default:
			got = append(got, kw)
		}
	}
	require.Equal(t, []string{"dev=veth0", "proxy", "vlan", "name"}, got)

	b := &objArgs{args: []string{"a", "b", "c"}}
	for kw := range b.keywords() {
		if kw == "b" {
			break
		}
	}
	kw, ok := b.next()
	require.True(t, ok)
	require.Equal(t, "c", kw, "a loop left early leaves the rest")
}
