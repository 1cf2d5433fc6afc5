package route

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNamesRoundTrip(t *testing.T) {
	for _, name := range []string{"global", "site", "link", "host", "nowhere", "7"} {
		s, err := ParseScope(name)
		require.NoError(t, err)
		require.Equal(t, name, s.String())
	}
	for _, name := range []string{"kernel", "boot", "static", "dhcp", "bgp", "200"} {
		p, err := ParseProtocol(name)
		require.NoError(t, err)
		require.Equal(t, name, p.String())
	}
	for _, name := range []string{"inet", "inet6", "bridge", "mpls"} {
		f, err := ParseFamily(name)
		require.NoError(t, err)
		require.Equal(t, name, f.String())
	}
	for _, name := range []string{"main", "local", "default", "1000"} {
		tb, err := ParseTable(name)
		require.NoError(t, err)
		require.Equal(t, name, TableName(tb))
	}
	_, err := ParseScope("galaxy")
	require.ErrorContains(t, err, `invalid scope "galaxy"`)
	_, err = ParseProtocol("256")
	require.Error(t, err)
	_, err = ParseTable("x")
	require.ErrorContains(t, err, `invalid table "x"`)

	b, err := json.Marshal(struct {
		S Scope
		P Protocol
	}{ScopeLink, ProtocolKernel})
	require.NoError(t, err)
	require.JSONEq(t, `{"S":"link","P":"kernel"}`, string(b))
}
